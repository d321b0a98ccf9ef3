import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { createMetrics } from '../../src/metrics.js'
import { createUpstream } from '../../src/upstream/createUpstream.js'
import type { Upstream } from '../../src/upstream/types.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The upstream layer against the real Anvil: answers equal direct ones, newHeads notifications
 * after a block is mined on Anvil itself, HTTP-only upstreams; then through a whole walletd:
 * subscription and filter ids are per connection and closing a socket cancels upstream.
 */
const options = {
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  reconnectInitialMs: 50,
  reconnectMaxMs: 1_000,
  httpConnections: 4,
}

function directHttp(method: string, params: unknown[]): Promise<unknown> {
  return fetch(inject('anvilHttpUrl'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  }).then((r) => r.json())
}

function directWs(method: string, params: unknown[]): Promise<unknown> {
  const socket = new WebSocket(inject('anvilWsUrl'))
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('open', () => socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })))
    socket.once('message', (data) => {
      resolve(JSON.parse(String(data)))
      socket.close()
    })
  })
}

async function waitReceipt(hash: string) {
  for (let i = 0; i < 200; i++) {
    const r = await anvilRpc('eth_getTransactionReceipt', [hash])
    if (r) return r
    await new Promise((res) => setTimeout(res, 25))
  }
  throw new Error('no receipt')
}

async function until(fn: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (fn()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function make(urls: string[]): Upstream {
  return createUpstream({
    chainId: 31337,
    urls,
    log: pino({ level: 'silent' }),
    metrics: createMetrics({ defaults: false }),
    options,
  })
}

let ws: Upstream
let http: Upstream
let logContract: string
let logBlock: string

beforeAll(async () => {
  ws = make([inject('anvilWsUrl')])
  http = make([inject('anvilHttpUrl')])
  await Promise.all([ws.ready(), http.ready()])
  // A contract that emits LOG0 on every call, deployed and called directly on Anvil (account 8,
  // which other tests leave alone).
  const from = ((await anvilRpc('eth_accounts')) as string[])[8]
  const deploy = await anvilRpc('eth_sendTransaction', [{ from, data: '0x6560006000a0006000526006601af3' }])
  logContract = (await waitReceipt(deploy)).contractAddress
  logBlock = (
    await waitReceipt(await anvilRpc('eth_sendTransaction', [{ from, to: logContract, data: '0x' }]))
  ).blockNumber
})

afterAll(async () => {
  await Promise.all([ws?.close(), http?.close()])
})

describe.each([
  ['WebSocket', () => ws],
  ['HTTP-only', () => http],
])('upstream over %s against Anvil', (name, get) => {
  test('block number, balance, eth_call and getLogs equal the direct answers', async () => {
    const u = get()
    // Other tests may mine meanwhile: the answer lies between two direct reads.
    const before = BigInt(await anvilRpc('eth_blockNumber'))
    const mid = BigInt((await u.request('eth_blockNumber', [])) as string)
    const after = BigInt(await anvilRpc('eth_blockNumber'))
    expect(mid >= before && mid <= after).toBe(true)

    const account = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    const balanceParams = [account, logBlock]
    expect(await u.request('eth_getBalance', balanceParams)).toBe(
      await anvilRpc('eth_getBalance', balanceParams),
    )

    const callParams = [{ to: logContract, data: '0x' }, logBlock]
    expect(await u.request('eth_call', callParams)).toBe(await anvilRpc('eth_call', callParams))

    const logParams = [{ address: logContract, fromBlock: '0x0', toBlock: logBlock }]
    const logs = await u.request('eth_getLogs', logParams)
    expect(logs).toEqual(await anvilRpc('eth_getLogs', logParams))
    expect((logs as unknown[]).length).toBe(1)
  })

  test('a node error is relayed with its own code and message', async () => {
    const u = get()
    // Anvil words some errors differently per transport: compare with a direct call over the same one.
    const params = ['0x1234', 'latest']
    const direct = (
      name === 'WebSocket'
        ? await directWs('eth_getBalance', params)
        : await directHttp('eth_getBalance', params)
    ) as { error: { code: number; message: string } }
    expect(direct.error).toBeDefined()
    await expect(u.request('eth_getBalance', params)).rejects.toMatchObject({
      code: direct.error.code,
      shortMessage: direct.error.message,
    })
  })
})

test('a newHeads subscription receives the block mined on Anvil', async () => {
  const heads: Array<{ number: string; hash: string }> = []
  const sub = await ws.subscribe(['newHeads'], (h) => heads.push(h as { number: string; hash: string }))
  await anvilRpc('evm_mine')
  await until(() => heads.length > 0, 'a head')
  const block = await anvilRpc('eth_getBlockByNumber', [heads[0]!.number, false])
  expect(heads[0]!.hash).toBe(block.hash)
  await sub.unsubscribe()
})

test('subscribing over an HTTP-only upstream is -32004', async () => {
  await expect(http.subscribe(['newHeads'], () => {})).rejects.toMatchObject({ code: -32004 })
})

describe('through walletd', () => {
  let d: TestDaemon
  // A recording relay between walletd and Anvil: what walletd sends upstream, and Anvil's answers.
  let relay: WebSocketServer
  const upstreamFrames: Array<{ id?: number; method?: string; params?: unknown[]; result?: unknown }> = []

  beforeAll(async () => {
    relay = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await new Promise<void>((r) => relay.once('listening', () => r()))
    relay.on('connection', (down) => {
      const up = new WebSocket(inject('anvilWsUrl'))
      const queue: string[] = []
      up.on('open', () => {
        for (const f of queue.splice(0)) up.send(f)
      })
      down.on('message', (data) => {
        const text = String(data)
        upstreamFrames.push(JSON.parse(text))
        if (up.readyState === WebSocket.OPEN) up.send(text)
        else queue.push(text)
      })
      up.on('message', (data) => {
        const text = String(data)
        upstreamFrames.push(JSON.parse(text))
        down.send(text)
      })
      down.on('close', () => up.close())
      up.on('close', () => down.close())
    })
    d = await startTestDaemon({ upstreamUrl: `ws://127.0.0.1:${(relay.address() as AddressInfo).port}` })
  })

  afterAll(async () => {
    await d?.close()
    for (const c of relay?.clients ?? []) c.terminate()
    await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()))
  })

  test('ids are per connection; closing the socket cancels the subscription upstream', async () => {
    const a = await d.connect()
    const b = await d.connect()
    const sub = await a.call('eth_subscribe', ['newHeads'])
    const id = sub.result as string
    expect(id).toMatch(/^0x[0-9a-f]{32}$/)
    // walletd's id is not the upstream's.
    const upstreamSubscribe = upstreamFrames.filter((f) => f.method === 'eth_subscribe').at(-1)!
    const upstreamId = upstreamFrames.find((f) => f.id === upstreamSubscribe.id && 'result' in f)!
      .result as string
    expect(upstreamId).not.toBe(id)

    await anvilRpc('evm_mine')
    const n = await a.waitForNotification((m) => m.method === 'eth_subscription')
    expect((n.params as { subscription: string }).subscription).toBe(id)

    // Another connection of the same origin can neither cancel it nor use the upstream's id.
    expect((await b.call('eth_unsubscribe', [id])).result).toBe(false)
    expect((await b.call('eth_unsubscribe', [upstreamId])).result).toBe(false)
    expect(upstreamFrames.some((f) => f.method === 'eth_unsubscribe')).toBe(false)

    // Filters too.
    const filter = (await a.call('eth_newBlockFilter', [])).result as string
    expect(filter).toMatch(/^0x[0-9a-f]{32}$/)
    expect((await b.call('eth_getFilterChanges', [filter])).error).toMatchObject({
      code: -32000,
      message: 'filter not found',
    })
    expect((await b.call('eth_uninstallFilter', [filter])).result).toBe(false)
    expect(Array.isArray((await a.call('eth_getFilterChanges', [filter])).result)).toBe(true)

    expect(d.daemon.services.subscriptions.counts()).toEqual({ subscriptions: 1, filters: 1 })
    await a.close()
    await until(
      () =>
        upstreamFrames.some((f) => f.method === 'eth_unsubscribe' && f.params?.[0] === upstreamId) &&
        upstreamFrames.some((f) => f.method === 'eth_uninstallFilter'),
      'the upstream unsubscribe and uninstall',
    )
    expect(d.daemon.services.subscriptions.counts()).toEqual({ subscriptions: 0, filters: 0 })
    // Anvil confirmed the cancellation.
    const unsub = upstreamFrames.find((f) => f.method === 'eth_unsubscribe' && f.params?.[0] === upstreamId)!
    await until(() => upstreamFrames.some((f) => f.id === unsub.id && 'result' in f), 'the answer')
    expect(upstreamFrames.find((f) => f.id === unsub.id && 'result' in f)!.result).toBe(true)
    await b.close()
  })

  test('eth_subscribe over HTTP is -32004; filters over HTTP are owned by the origin', async () => {
    const sub = await d.post({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })
    expect(sub.body.error.code).toBe(-32004)
    const created = await d.post({ jsonrpc: '2.0', id: 2, method: 'eth_newBlockFilter', params: [] })
    const filter = created.body.result as string
    expect(filter).toMatch(/^0x[0-9a-f]{32}$/)
    const poll = await d.post({ jsonrpc: '2.0', id: 3, method: 'eth_getFilterChanges', params: [filter] })
    expect(Array.isArray(poll.body.result)).toBe(true)
    const foreign = await d.post(
      { jsonrpc: '2.0', id: 4, method: 'eth_getFilterChanges', params: [filter] },
      { origin: 'https://other.example' },
    )
    expect(foreign.body.error).toMatchObject({ code: -32000, message: 'filter not found' })
    const removed = await d.post({ jsonrpc: '2.0', id: 5, method: 'eth_uninstallFilter', params: [filter] })
    expect(removed.body.result).toBe(true)
  })
})
