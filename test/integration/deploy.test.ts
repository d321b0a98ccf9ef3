import { createPublicClient, createWalletClient, getContractAddress, http } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { Counter } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { throughWalletd } from '../helpers/viemThrough.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * A dApp deploying a contract through walletd (no `to`), then calling it: the flow that shipped
 * broken (-32603 from the transaction checks) because no test ran it end to end.
 */
const deployer = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 43 })
const approver = createScriptedApprover([], 'approve')
let d: TestDaemon
let client: RpcClient

beforeAll(async () => {
  await anvilRpc('anvil_setBalance', [deployer.address, '0x56bc75e2d63100000']) // 100 ETH
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [privateKeyOf(deployer)] }),
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

describe('contract deployment through walletd (real Anvil)', () => {
  const chain = { ...foundry, rpcUrls: { default: { http: [inject('anvilHttpUrl')] } } }
  const reader = () => createPublicClient({ chain, transport: http(inject('anvilHttpUrl')) })

  test('viem deployContract: the prompt says it is a deployment; the receipt has the contract; calls work', async () => {
    const wallet = createWalletClient({ account: deployer.address, chain, transport: throughWalletd(client) })
    const nonce = await reader().getTransactionCount({ address: deployer.address })
    const seen = approver.seen.length
    const hash = await wallet.deployContract({
      abi: Counter.abi,
      bytecode: Counter.bytecode,
      args: [41n],
      value: 1000n,
    })
    const prompt = approver.seen[seen]!
    expect(prompt.method).toBe('eth_sendTransaction')
    expect(prompt.summary).toMatch(/^Deploy a contract \(\d+ bytes of code\) with 0\.000000000000001 ETH/)
    expect(prompt.details.to).toBe('(contract creation)')
    expect(prompt.warnings.filter((w) => w.level === 'critical')).toEqual([])

    const receipt = await reader().waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(receipt.contractAddress).toBe(
      getContractAddress({ from: deployer.address, nonce: BigInt(nonce) }).toLowerCase(),
    )
    const address = receipt.contractAddress!
    expect(await reader().getBalance({ address })).toBe(1000n)
    expect(await reader().readContract({ address, abi: Counter.abi, functionName: 'count' })).toBe(41n)
    expect(
      (await reader().readContract({ address, abi: Counter.abi, functionName: 'deployer' })) as string,
    ).toBe(deployer.address)

    // And the dApp then calls the contract it deployed, through walletd.
    const call = await wallet.writeContract({ address, abi: Counter.abi, functionName: 'increment' })
    expect((await reader().waitForTransactionReceipt({ hash: call })).status).toBe('success')
    expect(await reader().readContract({ address, abi: Counter.abi, functionName: 'count' })).toBe(42n)
  })

  test('to: null and to: "0x" are deployments too (as MetaMask accepts them)', async () => {
    for (const to of [null, '0x']) {
      const { result, error } = await client.call('eth_sendTransaction', [
        { from: deployer.address, to, data: `${Counter.bytecode}${'0'.repeat(63)}7` },
      ])
      expect(error).toBeUndefined()
      const receipt = await reader().waitForTransactionReceipt({ hash: result as `0x${string}` })
      expect(receipt.contractAddress).toMatch(/^0x[0-9a-f]{40}$/)
      expect(
        await reader().readContract({
          address: receipt.contractAddress!,
          abi: Counter.abi,
          functionName: 'count',
        }),
      ).toBe(7n)
    }
  })
})
