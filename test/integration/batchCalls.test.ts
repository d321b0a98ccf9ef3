import { type Address, BaseError, createWalletClient, encodeFunctionData, getAddress, parseEther } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ApprovalRequest, SimulationFacts } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilChain, anvilReader, deployDirect, fund, writeDirect } from '../helpers/anvilChain.js'
import { Reverter, TestSwap, TestToken } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { throughWalletd } from '../helpers/viemThrough.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * EIP-5792 through walletd with viem's wallet actions (sendCalls, getCallsStatus,
 * getCapabilities over a custom transport): a batch is approved once, simulated as one
 * sequence, sent one by one; a reverting call stops the rest; a batch belongs to its origin.
 */
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 77 })
const friend = getAddress(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 78 }).address)
const approver = createScriptedApprover([], 'approve')
const chain = anvilChain()
const reader = anvilReader()
let d: TestDaemon
let client: RpcClient
let other: RpcClient
let token: Address
let paid: Address
let swap: Address
let reverter: Address

beforeAll(async () => {
  await fund(account.address)
  token = await deployDirect(account, TestToken, ['Test Token', 'TT', 6])
  paid = await deployDirect(account, TestToken, ['Paid', 'PAID', 18])
  swap = await deployDirect(account, TestSwap)
  reverter = await deployDirect(account, Reverter)
  for (const [address, to, amount] of [
    [token, account.address, 1_000_000_000n],
    [paid, swap, parseEther('1000')],
  ] as const) {
    await writeDirect(account, { address, abi: TestToken.abi, functionName: 'mint', args: [to, amount] })
  }
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
      simulation: { timeoutMs: 15_000 },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
  other = await d.connect({ origin: 'https://other.example' })
  expect((await other.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await other?.close()
  await d?.close()
})

const walletFor = (c: RpcClient) =>
  createWalletClient({ account: account.address, chain, transport: throughWalletd(c) })
const simulationOf = (prompt: ApprovalRequest) => (prompt.facts as { simulation: SimulationFacts }).simulation

describe('EIP-5792 batches through walletd (viem wallet actions, real Anvil)', () => {
  test('getCapabilities: atomic is unsupported for a plain key', async () => {
    expect(await walletFor(client).getCapabilities()).toEqual({
      31337: { atomic: { status: 'unsupported' } },
    })
    expect(await walletFor(client).getCapabilities({ chainId: 31337 })).toEqual({
      atomic: { status: 'unsupported' },
    })
  })

  test('a batch of three calls lands with one approval, simulated as one sequence', async () => {
    const seen = approver.seen.length
    const wallet = walletFor(client)
    const before = await reader.getBalance({ address: friend })
    const { id } = await wallet.sendCalls({
      calls: [
        { to: token, abi: TestToken.abi, functionName: 'approve', args: [swap, 5_000_000n] },
        {
          to: swap,
          abi: TestSwap.abi,
          functionName: 'swap',
          args: [token, 5_000_000n, paid, parseEther('2')],
        },
        { to: friend, value: parseEther('0.5') },
      ],
    })
    expect(approver.seen.length).toBe(seen + 1)
    const prompt = approver.seen[seen]!
    expect(prompt).toMatchObject({ kind: 'calls', method: 'wallet_sendCalls' })
    // The swap needs the approve before it: only a sequence simulation sees it succeed.
    expect(simulationOf(prompt)).toMatchObject({
      status: 'success',
      by: 'eth_simulateV1',
      tokenChanges: [
        { token, change: -5_000_000n, symbol: 'TT', decimals: 6 },
        { token: paid, change: parseEther('2'), symbol: 'PAID', decimals: 18 },
      ],
    })
    expect(simulationOf(prompt).nativeChange).toBe(-parseEther('0.5') - simulationOf(prompt).fee!)
    expect(prompt.details.simulation).toMatchObject({ result: 'all 3 calls succeed' })

    const status = await wallet.waitForCallsStatus({ id, pollingInterval: 50, timeout: 30_000 })
    expect(status).toMatchObject({ status: 'success', statusCode: 200, atomic: false, chainId: 31337 })
    expect(status.receipts).toHaveLength(3)
    expect(status.receipts!.map((r) => r.status)).toEqual(['success', 'success', 'success'])
    // One by one, with consecutive nonces.
    const nonces = await Promise.all(
      status.receipts!.map(async (r) => (await reader.getTransaction({ hash: r.transactionHash })).nonce),
    )
    expect(nonces).toEqual([nonces[0], nonces[0]! + 1, nonces[0]! + 2])
    expect(await reader.getBalance({ address: friend })).toBe(before + parseEther('0.5'))
    expect(
      await reader.readContract({
        address: paid,
        abi: TestToken.abi,
        functionName: 'balanceOf',
        args: [account.address],
      }),
    ).toBe(parseEther('2'))
  })

  test('a batch whose second call reverts: the prompt says so; sending stops there and the status reports it', async () => {
    const seen = approver.seen.length
    const wallet = walletFor(client)
    const before = await reader.getBalance({ address: friend })
    const { id } = await wallet.sendCalls({
      calls: [
        { to: friend, value: parseEther('0.25') },
        { to: reverter, data: encodeFunctionData({ abi: Reverter.abi, functionName: 'failWithReason' }) },
        { to: friend, value: parseEther('0.75') },
      ],
    })
    const prompt = approver.seen[seen]!
    expect(simulationOf(prompt)).toMatchObject({ status: 'reverted', revert: { callIndex: 1 } })
    expect(prompt.details.simulation).toMatchObject({ result: 'call 2 of 3 REVERTS: Reverter: always fails' })
    expect(prompt.warnings).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(/^The simulation REVERTS at call 2 of 3: Reverter: always fails/),
    })

    const status = await wallet.waitForCallsStatus({ id, pollingInterval: 50, timeout: 30_000 })
    expect(status).toMatchObject({ status: 'failure', statusCode: 600 })
    expect(status.receipts!.map((r) => r.status)).toEqual(['success', 'reverted'])
    // The third call was never sent.
    expect(await reader.getBalance({ address: friend })).toBe(before + parseEther('0.25'))
    expect(d.logText()).toMatch(/"why":"call 2 reverted".*"msg":"batch stopped"/)
  })

  test('another origin cannot read the batch: 5730, as for an id never sent', async () => {
    const { id } = await walletFor(client).sendCalls({ calls: [{ to: friend, value: 1n }] })
    await walletFor(client).waitForCallsStatus({ id, pollingInterval: 50, timeout: 30_000 })
    for (const probe of [id, '0xdeadbeef']) {
      const err = await walletFor(other)
        .getCallsStatus({ id: probe })
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BaseError)
      expect((err as BaseError).walk((e) => (e as { code?: number }).code === 5730)).toBeTruthy()
      expect((await other.call('wallet_showCallsStatus', [probe])).error?.code).toBe(5730)
    }
    expect((await client.call('wallet_showCallsStatus', [id])).result).toBeNull()
  })

  test('atomicRequired (forceAtomic) is refused with 5760, before any prompt', async () => {
    const seen = approver.seen.length
    const err = await walletFor(client)
      .sendCalls({ forceAtomic: true, calls: [{ to: friend, value: 1n }] })
      .catch((e: unknown) => e)
    expect((err as BaseError).walk((e) => (e as { code?: number }).code === 5760)).toBeTruthy()
    expect(approver.seen.length).toBe(seen)
  })
})
