import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Address, encodeFunctionData, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { ApprovalRequest, SimulationFacts } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilReader, deployDirect, fund, writeDirect } from '../helpers/anvilChain.js'
import { TestToken } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Where the upstream cannot simulate: a small recording proxy in front of the real Anvil refuses
 * (or never answers) the methods the test names. The prompt then shows the next method's result,
 * and says plainly what was not simulated.
 */
type Proxy = { url: string; seen: string[]; refuse: Set<string>; hang: Set<string>; close(): Promise<void> }

async function startProxy(target: string): Promise<Proxy> {
  const seen: string[] = []
  const refuse = new Set<string>()
  const hang = new Set<string>()
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const one = async (r: { id: unknown; method: string }) => {
      seen.push(r.method)
      if (hang.has(r.method)) return new Promise<never>(() => {})
      if (refuse.has(r.method))
        return { jsonrpc: '2.0', id: r.id, error: { code: -32601, message: `Method not found: ${r.method}` } }
      const answer = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(r),
      })
      return answer.json()
    }
    const answer = Array.isArray(body) ? await Promise.all(body.map(one)) : await one(body)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(answer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    refuse,
    hang,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 73 })
const friend = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 74 }).address
const reader = anvilReader()
const approver = createScriptedApprover([], 'approve')
let proxy: Proxy
let d: TestDaemon
let client: RpcClient
let token: Address

beforeAll(async () => {
  await fund(account.address)
  token = await deployDirect(account, TestToken, ['Test Token', 'TT', 6])
  await writeDirect(account, {
    address: token,
    abi: TestToken.abi,
    functionName: 'mint',
    args: [account.address, 1_000_000_000n],
  })
  proxy = await startProxy(inject('anvilHttpUrl'))
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
    upstreamUrl: proxy.url,
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
      simulation: { timeoutMs: 15_000 },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
  await proxy?.close()
})

async function transfer(amount: bigint, over: { client?: RpcClient } = {}): Promise<ApprovalRequest> {
  const seen = approver.seen.length
  const data = encodeFunctionData({ abi: TestToken.abi, functionName: 'transfer', args: [friend, amount] })
  const { result, error } = await (over.client ?? client).call('eth_sendTransaction', [
    { from: account.address, to: token, data },
  ])
  expect(error).toBeUndefined()
  expect((await reader.waitForTransactionReceipt({ hash: result as Hex })).status).toBe('success')
  return approver.seen[seen]!
}
const simulationOf = (prompt: ApprovalRequest) => (prompt.facts as { simulation: SimulationFacts }).simulation
const details = (prompt: ApprovalRequest) => prompt.details.simulation as Record<string, unknown>

describe('the simulation falls back, and says what it could not do (recording proxy before Anvil)', () => {
  test('eth_simulateV1 refused: the prompt shows the debug_traceCall-based result', async () => {
    proxy.refuse.clear()
    proxy.refuse.add('eth_simulateV1')
    const from = proxy.seen.length
    const prompt = await transfer(3_000_000n)
    expect(proxy.seen.slice(from)).toEqual(expect.arrayContaining(['eth_simulateV1', 'debug_traceCall']))
    expect(simulationOf(prompt)).toMatchObject({
      status: 'success',
      by: 'debug_traceCall',
      changesKnown: true,
      tokenChanges: [{ token, change: -3_000_000n, symbol: 'TT', decimals: 6 }],
    })
    expect(details(prompt)).toMatchObject({
      by: 'debug_traceCall with the call tracer, on the latest block',
      tokens: [`−3 TT (3000000 raw units) (ERC-20 ${token})`],
      notes: [
        'eth_simulateV1: the node answered -32601: Method not found: eth_simulateV1, so debug_traceCall was used',
      ],
    })
    expect(prompt.warnings.some((w) => /SIMULATED/.test(w.message))).toBe(false)
  })

  test('both refused: eth_call only, and the prompt says the changes were NOT SIMULATED', async () => {
    proxy.refuse.clear()
    proxy.refuse.add('eth_simulateV1').add('debug_traceCall')
    const prompt = await transfer(1_000_000n)
    expect(simulationOf(prompt)).toMatchObject({
      status: 'success',
      by: 'eth_call',
      changesKnown: false,
      tokenChanges: [],
    })
    expect(prompt.warnings).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(
        /^PARTLY SIMULATED: eth_call says this transaction succeeds, but what it moves — balance changes, approvals granted, contracts created — was NOT SIMULATED \(eth_simulateV1: .*Method not found.*; debug_traceCall: .*Method not found.*\)\.$/,
      ),
    })
    expect(details(prompt)).not.toHaveProperty('tokens')
  })

  test('nothing can simulate: the prompt says NOT SIMULATED, naming each attempt; the person still decides', async () => {
    proxy.refuse.clear()
    proxy.refuse.add('eth_simulateV1').add('debug_traceCall').add('eth_call')
    const prompt = await transfer(1_000_000n)
    expect(simulationOf(prompt)).toMatchObject({ status: 'not-simulated', by: null })
    expect(details(prompt)).toMatchObject({ result: 'NOT SIMULATED' })
    expect(prompt.warnings).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(
        /^NOT SIMULATED: walletd could not simulate this transaction \(eth_simulateV1: .*; debug_traceCall: .*; eth_call: .*\)\. What it would do/,
      ),
    })
  })

  test('an upstream that never answers delays the prompt by at most simulation.timeoutMs', async () => {
    proxy.refuse.clear()
    proxy.hang.add('eth_simulateV1')
    const bounded = await startTestDaemon({
      approver,
      signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
      upstreamUrl: proxy.url,
      config: {
        rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
        simulation: { timeoutMs: 400 },
        upstream: { requestTimeoutMs: 60_000 },
      },
    })
    const c = await bounded.connect()
    try {
      expect((await c.call('eth_requestAccounts', [])).error).toBeUndefined()
      const prompt = await transfer(1_000_000n, { client: c })
      expect(simulationOf(prompt)).toMatchObject({
        status: 'not-simulated',
        notes: ['eth_simulateV1: no answer within 400 ms (simulation.timeoutMs)'],
      })
    } finally {
      proxy.hang.clear()
      await c.close()
      await bounded.close()
    }
  })
})
