import {
  type Abi,
  type Address,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  type Hex,
  http,
  maxUint256,
  parseEther,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { ApprovalRequest, SimulationFacts } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilChain, anvilReader, deployDirect, fund, writeDirect } from '../helpers/anvilChain.js'
import { Reverter, TestMultiToken, TestNFT, TestSwap, TestToken } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * See before you sign, against real contracts on Anvil through the daemon: every transaction
 * prompt carries what simulating it said (eth_simulateV1 with traced transfers): the sender's
 * native change with the fee, token changes with symbols and decimals read from the chain,
 * approvals granted, reverts with their decoded reason, contracts created.
 */
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 71 })
const friend = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 72 }).address
const approver = createScriptedApprover([], 'approve')
const chain = anvilChain()
const reader = anvilReader()
let d: TestDaemon
let client: RpcClient
let token: Address
let other: Address
let nft: Address
let multi: Address
let swap: Address
let reverter: Address

beforeAll(async () => {
  await fund(account.address)
  const deployer = createWalletClient({ account, chain, transport: http(inject('anvilHttpUrl')) })
  const deploy = (artifact: { abi: Abi; bytecode: Hex }, args: unknown[] = []) =>
    deployDirect(account, artifact, args)
  const write = (address: Address, abi: Abi, functionName: string, args: unknown[]) =>
    writeDirect(account, { address, abi, functionName, args })
  token = await deploy(TestToken, ['Test Token', 'TT', 6])
  other = await deploy(TestToken, ['Other Token', 'OTH', 18])
  nft = await deploy(TestNFT, ['Test NFT', 'TNFT'])
  multi = await deploy(TestMultiToken, ['Multi'])
  swap = await deploy(TestSwap)
  reverter = await deploy(Reverter)
  await write(token, TestToken.abi, 'mint', [account.address, 1_000_000_000n])
  await write(other, TestToken.abi, 'mint', [swap, parseEther('1000')])
  await write(multi, TestMultiToken.abi, 'mint', [account.address, 5n, 100n])
  await reader.waitForTransactionReceipt({
    hash: await deployer.sendTransaction({ to: swap, value: parseEther('5') }),
  })
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
      // Generous for a loaded machine: these tests show what a simulation says, not how fast.
      simulation: { timeoutMs: 15_000 },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

/** Sends through walletd (approved); returns the prompt and the receipt. */
async function send(tx: Record<string, unknown>) {
  const seen = approver.seen.length
  const { result, error } = await client.call('eth_sendTransaction', [{ from: account.address, ...tx }])
  expect(error).toBeUndefined()
  const receipt = await reader.waitForTransactionReceipt({ hash: result as Hex })
  return { prompt: approver.seen[seen]!, receipt }
}

const data = (abi: Abi, functionName: string, args: unknown[] = []) =>
  encodeFunctionData({ abi, functionName, args } as never)
const simulationOf = (prompt: ApprovalRequest) => (prompt.facts as { simulation: SimulationFacts }).simulation
const details = (prompt: ApprovalRequest) => prompt.details.simulation as Record<string, unknown>

describe('the simulation in the prompt (real Anvil, eth_simulateV1)', () => {
  test('an ERC-20 transfer: the sender −N tokens, with the symbol and decimals read from the chain', async () => {
    const { prompt, receipt } = await send({
      to: token,
      data: data(TestToken.abi, 'transfer', [friend, 12_500_000n]),
    })
    expect(receipt.status).toBe('success')
    expect(simulationOf(prompt)).toMatchObject({
      status: 'success',
      by: 'eth_simulateV1',
      tokenChanges: [
        { token, standard: 'erc20', tokenId: null, change: -12_500_000n, symbol: 'TT', decimals: 6 },
      ],
      approvals: [],
    })
    expect(details(prompt)).toMatchObject({
      result: 'succeeds',
      tokens: [`−12.5 TT (12500000 raw units) (ERC-20 ${token})`],
    })
    // The simulated gas is what the chain used.
    expect(simulationOf(prompt).gasUsed).toBe(receipt.gasUsed)
  })

  test('a transfer of ETH: the native change and the fee', async () => {
    const before = await reader.getBalance({ address: account.address })
    const { prompt, receipt } = await send({ to: friend, value: '0x2386f26fc10000' })
    const sim = simulationOf(prompt)
    expect(sim.gasUsed).toBe(21_000n)
    expect(sim.fee).toBeGreaterThan(0n)
    expect(sim.nativeChange).toBe(-(10n ** 16n) - sim.fee!)
    expect(details(prompt)).toMatchObject({
      ETH: expect.stringMatching(/^−0\.01\d* ETH \(\d+ wei\)$/),
      fee: expect.stringMatching(/ ETH \(\d+ wei\) for 21000 gas/),
    })
    // What the chain charged: the value and gas used × the price paid (the simulated fee used the
    // latest block's base fee; the next block's may differ slightly).
    const after = await reader.getBalance({ address: account.address })
    expect(before - after).toBe(10n ** 16n + receipt.gasUsed * receipt.effectiveGasPrice)
  })

  test('approve(max): the unlimited grant is a WARNING, and the facts list it', async () => {
    const { prompt } = await send({ to: token, data: data(TestToken.abi, 'approve', [swap, maxUint256]) })
    expect(simulationOf(prompt).approvals).toEqual([
      {
        standard: 'erc20',
        token,
        spender: swap,
        amount: maxUint256,
        tokenId: null,
        forAll: false,
        unlimited: true,
        deadline: null,
        symbol: 'TT',
        decimals: 6,
      },
    ])
    expect(details(prompt).approvals).toEqual([
      `UNLIMITED (${maxUint256} raw units) of TT ${token} to spender ${swap}`,
    ])
    // One warning for it (the decoded call's), not two.
    expect(prompt.warnings.filter((w) => /UNLIMITED/.test(w.message))).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(
          new RegExp(`^UNLIMITED token approval: ${swap} could spend ALL your TT`),
        ),
      },
    ])
  })

  test('a swap: the sender sends one token and receives another', async () => {
    const { prompt } = await send({
      to: swap,
      data: data(TestSwap.abi, 'swap', [token, 5_000_000n, other, parseEther('2')]),
    })
    expect(simulationOf(prompt).tokenChanges).toEqual([
      { token, standard: 'erc20', tokenId: null, change: -5_000_000n, symbol: 'TT', decimals: 6 },
      {
        token: other,
        standard: 'erc20',
        tokenId: null,
        change: parseEther('2'),
        symbol: 'OTH',
        decimals: 18,
      },
    ])
    expect(details(prompt).tokens).toEqual([
      `−5 TT (5000000 raw units) (ERC-20 ${token})`,
      `+2 OTH (2000000000000000000 raw units) (ERC-20 ${other})`,
    ])
    // The decoded call knows nothing of it (an unknown function): the simulation is what shows it.
    expect(prompt.summary).toMatch(/unknown function/)
  })

  test('selling a token for ETH: the native inflow beside the token outflow', async () => {
    const { prompt } = await send({
      to: swap,
      data: data(TestSwap.abi, 'sell', [token, 1_000_000n, parseEther('0.03')]),
    })
    const sim = simulationOf(prompt)
    expect(sim.tokenChanges).toMatchObject([{ token, change: -1_000_000n }])
    expect(sim.nativeChange).toBe(parseEther('0.03') - sim.fee!)
    expect(details(prompt).ETH).toMatch(/^\+0\.02\d+ ETH/)
  })

  test('an NFT setApprovalForAll: the grant to the operator, for the whole collection', async () => {
    const { prompt } = await send({ to: nft, data: data(TestNFT.abi, 'setApprovalForAll', [swap, true]) })
    expect(simulationOf(prompt).approvals).toMatchObject([
      { standard: 'erc721', token: nft, spender: swap, forAll: true, unlimited: true, amount: null },
    ])
    expect(details(prompt).approvals).toEqual([`ALL TNFT tokens (${nft}) to operator ${swap}`])
    expect(prompt.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^Approval for ALL: .* could transfer every token you hold in TNFT/),
    ])
  })

  test('an ERC-1155 transfer: −N of the token id', async () => {
    const { prompt } = await send({
      to: multi,
      data: data(TestMultiToken.abi, 'safeTransferFrom', [account.address, friend, 5n, 2n, '0x']),
    })
    expect(simulationOf(prompt).tokenChanges).toEqual([
      { token: multi, standard: 'erc1155', tokenId: 5n, change: -2n, symbol: 'Multi', decimals: 0 },
    ])
    expect(details(prompt).tokens).toEqual([`−2 of Multi #5 (ERC-1155 ${multi})`])
  })

  test('a call that reverts: the decoded reason before the prompt', async () => {
    const { prompt, receipt } = await send({
      to: reverter,
      data: data(Reverter.abi, 'failWithReason'),
      gasLimit: '0x30d40',
    })
    expect(receipt.status).toBe('reverted')
    expect(simulationOf(prompt)).toMatchObject({ status: 'reverted', revert: { callIndex: 0 } })
    expect(details(prompt)).toMatchObject({ result: 'REVERTS: Reverter: always fails' })
    const custom = await send({
      to: reverter,
      data: data(Reverter.abi, 'failWithPanic', [0n]),
      gas: '0x30d40',
    })
    expect(details(custom.prompt).result).toBe('REVERTS: panic 0x12: division or modulo by zero')
  })

  test('contracts created: a deployment (traced: eth_simulateV1 of Anvil cannot create) and a factory call', async () => {
    const deploy = await send({ data: Reverter.bytecode })
    expect(simulationOf(deploy.prompt)).toMatchObject({
      status: 'success',
      by: 'debug_traceCall',
      contractsCreated: [getAddress(deploy.receipt.contractAddress!)],
    })
    expect(simulationOf(deploy.prompt).notes[0]).toMatch(
      /^eth_simulateV1: the node answered .*, so debug_traceCall was used$/,
    )
    expect(details(deploy.prompt).contractsCreated).toEqual([getAddress(deploy.receipt.contractAddress!)])
    // A factory call through eth_simulateV1: the nested creation is not visible, and the prompt says so.
    const spawn = await send({ to: swap, data: data(TestSwap.abi, 'spawn') })
    expect(simulationOf(spawn.prompt)).toMatchObject({ by: 'eth_simulateV1', contractsCreated: [] })
    expect(details(spawn.prompt).notes).toContain(
      'contracts created inside calls are not visible to eth_simulateV1',
    )
  })

  test('an outflow to a fresh address is a WARNING, once: after walletd sent to it, it is known', async () => {
    const fresh = getAddress(`0x${'5a'.repeat(20)}`)
    const first = await send({ to: fresh, value: '0x1' })
    expect(simulationOf(first.prompt).newRecipients).toEqual([fresh])
    expect(first.prompt.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(new RegExp(`^${fresh} would receive your assets, but it has no code`)),
    ])
    const second = await send({ to: fresh, value: '0x1' })
    expect(second.prompt.warnings).toEqual([])
  })
})
