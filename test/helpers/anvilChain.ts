import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  type HttpTransport,
  http,
  type PublicClient,
} from 'viem'
import { foundry } from 'viem/chains'
import { inject } from 'vitest'
import { anvilRpc } from './anvilRpc.js'

/** viem's foundry chain pointed at the shared test Anvil (for clients that talk to it directly). */
export const anvilChain = (): Chain => ({
  ...foundry,
  rpcUrls: { default: { http: [inject('anvilHttpUrl')] } },
})

/** A public client on the shared test Anvil, never through walletd. */
export const anvilReader = (): PublicClient<HttpTransport, Chain> =>
  createPublicClient({ chain: anvilChain(), transport: http(inject('anvilHttpUrl')) })

/** Gives `address` 100 ETH on the shared test Anvil (each test file funds its own mnemonic indexes). */
export async function fund(address: Address, wei = 100n * 10n ** 18n): Promise<void> {
  await anvilRpc('anvil_setBalance', [address, `0x${wei.toString(16)}`])
}

/** Deploys a test contract directly on Anvil from `account` (not through walletd); its address. */
export async function deployDirect(
  account: Account,
  artifact: { abi: Abi; bytecode: Hex },
  args: readonly unknown[] = [],
): Promise<Address> {
  const wallet = createWalletClient({ account, chain: anvilChain(), transport: http(inject('anvilHttpUrl')) })
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args } as never)
  return getAddress((await anvilReader().waitForTransactionReceipt({ hash })).contractAddress!)
}

/** Calls `functionName` on a contract directly on Anvil from `account` and waits for the receipt. */
export async function writeDirect(
  account: Account,
  call: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint },
): Promise<void> {
  const wallet = createWalletClient({ account, chain: anvilChain(), transport: http(inject('anvilHttpUrl')) })
  const hash = await wallet.writeContract(call as never)
  const receipt = await anvilReader().waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`${call.functionName} reverted in a test set-up`)
}
