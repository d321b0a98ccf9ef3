import { pino } from 'pino'
import { describe, expect, test } from 'vitest'
import { RpcError } from '../errors/rpc.js'
import { createMetrics } from '../metrics.js'
import type { Connection, Transport } from '../rpc/types.js'
import { createSubscriptionRegistry } from './createSubscriptionRegistry.js'
import type { Upstream } from './types.js'

/** A fake upstream node that records subscriptions and filters by its own ids. */
function fakeUpstream() {
  let n = 0
  const subs = new Map<string, (r: unknown) => void>()
  const filters = new Set<string>()
  const calls: Array<{ method: string; params: unknown }> = []
  let gate: Promise<void> = Promise.resolve()
  const upstream: Upstream = {
    chainId: 1,
    url: 'ws://node',
    supportsSubscriptions: true,
    async request(method, params) {
      calls.push({ method, params })
      await gate
      const first = (params as unknown[])[0] as string
      switch (method) {
        case 'eth_newFilter':
        case 'eth_newBlockFilter':
        case 'eth_newPendingTransactionFilter': {
          const id = `0x${(++n).toString(16)}`
          filters.add(id)
          return id
        }
        case 'eth_getFilterChanges':
        case 'eth_getFilterLogs':
          return [`changes of ${first}`]
        case 'eth_uninstallFilter':
          return filters.delete(first)
        default:
          return null
      }
    },
    async subscribe(_params, onResult) {
      await gate
      const id = `0x${(++n).toString(16)}`
      subs.set(id, onResult)
      return {
        unsubscribe: async () => {
          subs.delete(id)
        },
      }
    },
    status: () => ({ chainId: 1, url: 'ws://node', transport: 'ws', connected: true, lastError: null }),
    ready: async () => {},
    close: async () => {},
  }
  return {
    upstream,
    subs,
    filters,
    calls,
    emit: (result: unknown) => {
      for (const fn of subs.values()) fn(result)
    },
    hold() {
      let release!: () => void
      gate = new Promise((r) => {
        release = r
      })
      return () => {
        gate = Promise.resolve()
        release()
      }
    },
  }
}

let connSeq = 0
function fakeConn(origin = 'https://a.example', transport: Transport = 'ws') {
  const closers: Array<() => void> = []
  const sent: Array<{ method: string; params: { subscription: string; result: unknown } }> = []
  const conn: Connection & { close(): void; sent: typeof sent } = {
    id: `c${++connSeq}`,
    transport,
    origin,
    tokenName: null,
    log: pino({ level: 'silent' }),
    notify: transport === 'ws' ? (m) => sent.push(m as (typeof sent)[number]) : undefined,
    onClose: (fn) => closers.push(fn),
    closed: false,
    inFlight: 0,
    sent,
    close() {
      ;(this as { closed: boolean }).closed = true
      for (const fn of closers) fn()
    },
  }
  return conn
}

function setup(max = 4) {
  const metrics = createMetrics({ defaults: false })
  const registry = createSubscriptionRegistry({ metrics, maxPerConnection: max })
  const gauge = async () => (await metrics.subscriptionsActive.get()).values[0]?.value
  return { registry, metrics, gauge, node: fakeUpstream() }
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError)
    return err as RpcError
  }
  throw new Error('expected a rejection')
}

const tick = () => new Promise((r) => setImmediate(r))

describe('subscriptions', () => {
  test('are walletd ids, delivered only to the owning connection', async () => {
    const { registry, node, gauge } = setup()
    const a = fakeConn()
    const b = fakeConn()
    const idA = await registry.subscribe({ conn: a, upstream: node.upstream, params: ['newHeads'] })
    const idB = await registry.subscribe({ conn: b, upstream: node.upstream, params: ['newHeads'] })
    expect(idA).toMatch(/^0x[0-9a-f]{32}$/)
    expect(node.subs.has(idA)).toBe(false)
    expect(idA).not.toBe(idB)
    expect(await gauge()).toBe(2)

    node.emit('head')
    expect(a.sent).toEqual([
      { jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: idA, result: 'head' } },
    ])
    expect(b.sent.map((m) => m.params.subscription)).toEqual([idB])

    // Another connection, even of the same origin, cannot cancel it.
    expect(await registry.unsubscribe(b, idA)).toBe(false)
    expect(node.subs.size).toBe(2)
    expect(await registry.unsubscribe(a, idA)).toBe(true)
    expect(await registry.unsubscribe(a, idA)).toBe(false)
    expect(node.subs.size).toBe(1)
    expect(await gauge()).toBe(1)
  })

  test('a notification that arrives before the id is answered is delivered after it, under that id', async () => {
    const { registry, node } = setup()
    const early: Upstream = {
      ...node.upstream,
      async subscribe(_params, onResult) {
        onResult('early-head')
        return { unsubscribe: async () => {} }
      },
    }
    const a = fakeConn()
    const id = await registry.subscribe({ conn: a, upstream: early, params: ['newHeads'] })
    expect(a.sent).toEqual([])
    await tick()
    expect(a.sent).toEqual([
      { jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result: 'early-head' } },
    ])
  })

  test('need a WebSocket connection (-32004)', async () => {
    const { registry, node } = setup()
    const err = await rpcError(
      registry.subscribe({ conn: fakeConn('o', 'http'), upstream: node.upstream, params: [] }),
    )
    expect(err.code).toBe(-32004)
  })

  test('are capped per connection (-32005), counting ones in flight', async () => {
    const { registry, node } = setup(2)
    const a = fakeConn()
    const release = node.hold()
    const p1 = registry.subscribe({ conn: a, upstream: node.upstream, params: ['newHeads'] })
    const p2 = registry.subscribe({ conn: a, upstream: node.upstream, params: ['newHeads'] })
    const err = await rpcError(registry.subscribe({ conn: a, upstream: node.upstream, params: ['newHeads'] }))
    expect(err.code).toBe(-32005)
    release()
    await Promise.all([p1, p2])
    // Another connection has its own budget.
    await registry.subscribe({ conn: fakeConn(), upstream: node.upstream, params: ['newHeads'] })
  })

  test('are cancelled upstream when the connection closes, including one still in flight', async () => {
    const { registry, node, gauge } = setup()
    const a = fakeConn()
    await registry.subscribe({ conn: a, upstream: node.upstream, params: ['newHeads'] })
    const release = node.hold()
    const late = registry.subscribe({ conn: a, upstream: node.upstream, params: ['logs'] })
    a.close()
    await tick()
    expect(node.subs.size).toBe(0)
    release()
    expect((await rpcError(late)).code).toBe(-32002)
    await tick()
    expect(node.subs.size).toBe(0)
    expect(await gauge()).toBe(0)
    expect(registry.counts()).toEqual({ subscriptions: 0, filters: 0 })
  })

  test('dropOrigin cancels every connection of that origin only', async () => {
    const { registry, node } = setup()
    const a1 = fakeConn('https://a.example')
    const a2 = fakeConn('https://a.example')
    const b = fakeConn('https://b.example')
    for (const conn of [a1, a2, b])
      await registry.subscribe({ conn, upstream: node.upstream, params: ['newHeads'] })
    const fa = await registry.installFilter({
      conn: fakeConn('https://a.example', 'http'),
      upstream: node.upstream,
      method: 'eth_newBlockFilter',
      params: [],
    })
    await registry.dropOrigin('https://a.example')
    expect(node.subs.size).toBe(1)
    expect(node.filters.size).toBe(0)
    expect(registry.counts()).toEqual({ subscriptions: 1, filters: 0 })
    expect(
      (
        await rpcError(
          registry.queryFilter(fakeConn('https://a.example', 'http'), 'eth_getFilterChanges', fa),
        )
      ).code,
    ).toBe(-32000)
    // The connection stays usable: it can subscribe again (on the new chain).
    await registry.subscribe({ conn: a1, upstream: node.upstream, params: ['newHeads'] })
    expect(registry.counts().subscriptions).toBe(2)
  })
})

describe('filters', () => {
  test('over HTTP are owned by the origin; a foreign id is "filter not found"', async () => {
    const { registry, node } = setup()
    const id = await registry.installFilter({
      conn: fakeConn('https://a.example', 'http'),
      upstream: node.upstream,
      method: 'eth_newFilter',
      params: [{}],
    })
    expect(id).toMatch(/^0x[0-9a-f]{32}$/)
    expect(node.filters.has(id)).toBe(false)
    // A later HTTP request of the same origin polls it, with the upstream's id.
    expect(
      await registry.queryFilter(fakeConn('https://a.example', 'http'), 'eth_getFilterChanges', id),
    ).toEqual(['changes of 0x1'])
    const other = fakeConn('https://b.example', 'http')
    const err = await rpcError(registry.queryFilter(other, 'eth_getFilterLogs', id))
    expect({ code: err.code, message: err.shortMessage }).toEqual({
      code: -32000,
      message: 'filter not found',
    })
    expect(await registry.uninstallFilter(other, id)).toBe(false)
    // Upstream ids are not walletd ids: guessing one gets nothing.
    expect(await registry.uninstallFilter(fakeConn('https://a.example', 'http'), '0x1')).toBe(false)
    expect(node.filters.size).toBe(1)
    expect(await registry.uninstallFilter(fakeConn('https://a.example', 'http'), id)).toBe(true)
    expect(node.filters.size).toBe(0)
    expect(registry.counts().filters).toBe(0)
  })

  test('over WebSocket are owned by the connection and uninstalled when it closes', async () => {
    const { registry, node } = setup()
    const a = fakeConn('https://a.example')
    const a2 = fakeConn('https://a.example')
    const id = await registry.installFilter({
      conn: a,
      upstream: node.upstream,
      method: 'eth_newBlockFilter',
      params: [],
    })
    expect((await rpcError(registry.queryFilter(a2, 'eth_getFilterChanges', id))).code).toBe(-32000)
    expect(await registry.queryFilter(a, 'eth_getFilterChanges', id)).toEqual(['changes of 0x1'])
    a.close()
    await tick()
    expect(node.filters.size).toBe(0)
    expect(registry.counts().filters).toBe(0)
  })

  test('are capped per owner and idle ones are swept first', async () => {
    let t = 0
    const metrics = createMetrics({ defaults: false })
    const registry = createSubscriptionRegistry({
      metrics,
      maxPerConnection: 2,
      filterIdleMs: 1000,
      now: () => t,
    })
    const node = fakeUpstream()
    const conn = fakeConn('https://a.example', 'http')
    const install = () =>
      registry.installFilter({ conn, upstream: node.upstream, method: 'eth_newBlockFilter', params: [] })
    const first = await install()
    await install()
    expect((await rpcError(install())).code).toBe(-32005)
    t = 2000
    await install()
    // Both old ones were idle: uninstalled upstream, and unknown to walletd.
    await tick()
    expect(node.filters.size).toBe(1)
    expect((await rpcError(registry.queryFilter(conn, 'eth_getFilterChanges', first))).code).toBe(-32000)
  })
})
