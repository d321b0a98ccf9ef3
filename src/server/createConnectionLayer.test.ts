import { getMaxListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createLogSink } from '../../test/helpers/logSink.js'
import { type DeepPartial, loadConfig } from '../config/loadConfig.js'
import type { Config } from '../config/schema.js'
import { createMetrics } from '../metrics.js'
import { createRequestLimiter } from '../ratelimit/createRequestLimiter.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Services } from '../rpc/services.js'
import { createSessionStore } from '../session/createSessionStore.js'
import { createChainRegistry } from '../upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from '../upstream/createSubscriptionRegistry.js'
import {
  type Authenticator,
  type ConnectionSink,
  createConnectionLayer,
  type OpenConnectionOptions,
} from './createConnectionLayer.js'
import { createConnectionRegistry } from './createConnectionRegistry.js'

const chain = (chainId: number) => ({
  chainId,
  name: `chain ${chainId}`,
  rpcUrls: ['http://127.0.0.1:1'],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})

/** A layer over real sessions, limiter and registries; the handler echoes the method after a gate opens. */
function setup(
  overrides: DeepPartial<Config> = {},
  opts: { level?: string; handleText?: MessageHandler['handleText'] } = {},
) {
  const clock = fakeClock(1_000_000)
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: { chains: [chain(1), chain(10)], ...overrides },
  })
  const sink = createLogSink(opts.level ?? 'debug')
  // Counts the child loggers made (one per connection that logs).
  let children = 0
  const child = sink.logger.child.bind(sink.logger)
  sink.logger.child = ((...args: Parameters<typeof child>) => {
    children++
    return child(...args)
  }) as typeof child
  const dropped: string[] = []
  const metrics = createMetrics({ defaults: false })
  const sessions = createSessionStore({ defaultChainId: () => 1, now: clock.now })
  const services = {
    config,
    log: sink.logger,
    metrics,
    chains: createChainRegistry(config.chains, 1),
    sessions,
    limiter: createRequestLimiter({ config: config.rateLimit, now: clock.now }),
    subscriptions: {
      ...createSubscriptionRegistry({ metrics, maxPerConnection: 4 }),
      dropOrigin: async (origin: string) => {
        dropped.push(origin)
      },
    },
    // Unlocked: one account (set `signer` to null to lock walletd).
    signer: {
      accounts: () => ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'],
    } as unknown as Services['signer'],
    now: clock.now,
  } as unknown as Services
  let release: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  const handler: MessageHandler = {
    handleText:
      opts.handleText ??
      async function handleText(text) {
        await gate
        const { id, method } = JSON.parse(text) as { id?: number; method: string }
        if (id === undefined) return null
        return JSON.stringify({ jsonrpc: '2.0', id, result: method })
      },
    handleRequest: async () => null,
  }
  const connections = createConnectionRegistry()
  const layer = createConnectionLayer({ services, handler, connections, version: '9.9.9' })
  return {
    services,
    clock,
    config,
    logText: sink.text,
    logLines: () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    children: () => children,
    dropped,
    metrics,
    sessions,
    connections,
    layer,
    hold() {
      gate = new Promise((r) => {
        release = r
      })
    },
    release: () => release(),
  }
}

type FakeSink = ConnectionSink & {
  sent: unknown[]
  closedWith: { code: number; reason: string } | null
  terminated: boolean
  buffer: number
}

function fakeSink(): FakeSink {
  const s: FakeSink = {
    sent: [],
    closedWith: null,
    terminated: false,
    buffer: 0,
    write: (text) => s.sent.push(JSON.parse(text)),
    buffered: () => s.buffer,
    close: (code, reason) => {
      s.closedWith = { code, reason }
    },
    terminate: () => {
      s.terminated = true
    },
  }
  return s
}

const frame = (id: number, method = 'eth_chainId') =>
  Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method }))
const flush = () => new Promise((r) => setImmediate(r))

const rpcText = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_chainId' })

describe('createConnectionLayer', () => {
  it('a walletd.v1 connection gets the session state at once, then only real changes', () => {
    const t = setup()
    const sink = fakeSink()
    const plain = fakeSink()
    t.layer.watchSessions()
    t.layer.open({ transport: 'ws', origin: 'https://a.example', tokenName: 'host', pushes: true, sink })
    t.layer.open({
      transport: 'ws',
      origin: 'https://a.example',
      tokenName: 'host',
      pushes: false,
      sink: plain,
    })
    expect(sink.sent).toEqual([
      {
        jsonrpc: '2.0',
        method: 'walletd_state',
        params: [{ chainId: '0x1', networkVersion: '1', accounts: [], version: '9.9.9' }],
      },
    ])
    const account = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    t.sessions.grantAccounts('https://a.example', [account])
    t.sessions.grantAccounts('https://a.example', [account]) // the same grant again: nothing to say
    t.sessions.grantAccounts('https://b.example', [account]) // another origin
    t.sessions.setChain('https://a.example', 10)
    t.sessions.revoke('https://a.example')
    expect(sink.sent.slice(1)).toEqual([
      { jsonrpc: '2.0', method: 'walletd_accountsChanged', params: [[account.toLowerCase()]] },
      { jsonrpc: '2.0', method: 'walletd_chainChanged', params: [{ chainId: '0xa', networkVersion: '10' }] },
      { jsonrpc: '2.0', method: 'walletd_accountsChanged', params: [[]] },
    ])
    // A plain JSON-RPC client (no walletd.v1) never gets walletd's own pushes.
    expect(plain.sent).toEqual([])
  })

  it('while walletd is locked a granted session is told no accounts; once unlocked, syncAll tells it', () => {
    const t = setup()
    const signer = t.services.signer
    ;(t.services as { signer: Services['signer'] }).signer = null
    const account = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
    t.sessions.grantAccounts('https://a.example', [account])
    const sink = fakeSink()
    t.layer.watchSessions()
    t.layer.open({ transport: 'ws', origin: 'https://a.example', tokenName: 'host', pushes: true, sink })
    expect(sink.sent).toEqual([
      {
        jsonrpc: '2.0',
        method: 'walletd_state',
        params: [{ chainId: '0x1', networkVersion: '1', accounts: [], version: '9.9.9' }],
      },
    ])
    ;(t.services as { signer: Services['signer'] }).signer = signer
    t.layer.syncAll()
    expect(sink.sent.slice(1)).toEqual([
      { jsonrpc: '2.0', method: 'walletd_accountsChanged', params: [[account.toLowerCase()]] },
    ])
  })

  it('answers frames, refuses binary ones, and caps requests in flight per connection', async () => {
    const t = setup({ connections: { maxInFlightPerConnection: 2 } })
    const sink = fakeSink()
    const h = t.layer.open({
      transport: 'ws',
      origin: 'https://a.example',
      tokenName: 'host',
      pushes: false,
      sink,
    })!
    h.receive(Buffer.from([1, 2, 3]), true)
    expect(sink.sent[0]).toMatchObject({ id: null, error: { code: -32700 } })
    t.hold()
    h.receive(frame(1))
    h.receive(frame(2))
    h.receive(frame(3))
    await flush()
    expect(sink.sent[1]).toMatchObject({ id: 3, error: { code: -32005, data: { limit: 'inflight' } } })
    t.release()
    await flush()
    expect(sink.sent.slice(2)).toEqual([
      { jsonrpc: '2.0', id: 1, result: 'eth_chainId' },
      { jsonrpc: '2.0', id: 2, result: 'eth_chainId' },
    ])
  })

  it('refuses frames past the budget with their id, and closes a connection that keeps flooding', async () => {
    const t = setup({ rateLimit: { connection: { burst: 5, perSecond: 1 } } })
    const sink = fakeSink()
    const h = t.layer.open({
      transport: 'ws',
      origin: 'https://a.example',
      tokenName: 'host',
      pushes: false,
      sink,
    })!
    for (let i = 0; i < 6; i++) h.receive(frame(i))
    expect(sink.sent.at(-1)).toMatchObject({
      id: 5,
      error: { code: -32005, data: { limit: 'connection:perSecond' } },
    })
    for (let i = 0; i < 2000 && !sink.closedWith; i++) h.receive(frame(i))
    expect(sink.closedWith).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    // Frames already on their way while it closes are dropped, not answered or counted again.
    const sent = sink.sent.length
    for (let i = 0; i < 100; i++) h.receive(frame(i))
    expect(sink.sent.length).toBe(sent)
    const closes = (await t.metrics.connectionsTotal.get()).values.filter(
      (v) => v.labels.outcome === 'closed_flooding',
    )
    expect(closes.map((v) => v.value)).toEqual([1])
    // One log line for the whole burst.
    expect(t.logText().match(/rate limit exceeded/g)?.length).toBe(1)
  })

  it('terminates a slow reader once, and sends nothing more to it', () => {
    const t = setup({ connections: { maxBufferedBytes: 10 } })
    const sink = fakeSink()
    const h = t.layer.open({
      transport: 'ws',
      origin: 'https://a.example',
      tokenName: 'host',
      pushes: false,
      sink,
    })!
    sink.buffer = 11
    h.conn.notify?.({ a: 1 })
    h.conn.notify?.({ a: 2 })
    expect(sink.terminated).toBe(true)
    expect(sink.sent).toEqual([])
    expect(t.logText().match(/closing a slow reader/g)?.length).toBe(1)
  })

  it('re-checks the caps once the socket exists (a racing upgrade gets 1013)', () => {
    const t = setup({ connections: { maxPerOrigin: 1 } })
    const first = fakeSink()
    const second = fakeSink()
    expect(
      t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: 'h',
        pushes: false,
        sink: first,
      }),
    ).not.toBeNull()
    expect(
      t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: 'h',
        pushes: false,
        sink: second,
      }),
    ).toBeNull()
    expect(second.closedWith?.code).toBe(1013)
    expect(t.connections.total).toBe(1)
  })

  it('another transport (the admin socket) can bring its own pipeline and stay out of the registry', async () => {
    const t = setup({ rateLimit: { connection: { burst: 1, perSecond: 0.001 } } })
    const sink = fakeSink()
    // Without a token, a connection needs an authenticator (a wiring mistake, not a client's).
    expect(() =>
      t.layer.open({
        transport: 'admin',
        origin: 'admin',
        tokenName: null,
        pushes: false,
        register: false,
        sink,
      }),
    ).toThrow(/needs an authenticator/)
    const admin = t.layer.open({
      transport: 'admin',
      origin: 'admin',
      tokenName: 'cli',
      pushes: false,
      register: false,
      sink,
      handler: { handleText: async () => '{"admin":true}', handleRequest: async () => null },
    })!
    expect(t.connections.total).toBe(0)
    admin.receive(frame(1))
    admin.receive(frame(2)) // the frame budget holds here too
    await flush()
    expect(sink.sent).toEqual([
      expect.objectContaining({ id: 2, error: expect.objectContaining({ code: -32005 }) }),
      { admin: true },
    ])
  })

  it('closes cleanly: registry, closers, and the abort signal of requests in flight', async () => {
    const t = setup()
    const sink = fakeSink()
    const h = t.layer.open({
      transport: 'ws',
      origin: 'https://a.example',
      tokenName: 'h',
      pushes: false,
      sink,
    })!
    let closed = 0
    h.conn.onClose(() => closed++)
    h.closed(1000)
    h.closed(1000)
    expect(closed).toBe(1)
    expect(t.connections.total).toBe(0)
    h.conn.onClose(() => closed++)
    expect(closed).toBe(2)
  })

  describe('the handshake gate', () => {
    const authenticator = (ok: boolean): Authenticator => ({
      hello: JSON.stringify({ jsonrpc: '2.0', method: 'walletd_hello', params: [{}] }),
      verify: (text) =>
        ok && JSON.parse(text).method === 'walletd_auth'
          ? { ok: true, tokenName: 'host', answer: JSON.stringify({ jsonrpc: '2.0', id: 'a', result: true }) }
          : {
              ok: false,
              reason: 'bad proof',
              answer: JSON.stringify({ jsonrpc: '2.0', id: 'a', error: { code: 4100, message: 'no' } }),
            },
    })

    it('sends the hello first; after a valid answer the connection is in, with its state push', () => {
      const t = setup()
      const sink = fakeSink()
      const h = t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: authenticator(true),
        pushes: true,
        sink,
      })!
      expect(t.connections.pending).toBe(1)
      expect(t.connections.total).toBe(0)
      expect(h.authenticated).toBe(false)
      h.receive(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a', method: 'walletd_auth' })))
      expect(h.authenticated).toBe(true)
      expect(h.conn.tokenName).toBe('host')
      expect(t.connections.pending).toBe(0)
      expect(t.connections.total).toBe(1)
      expect((sink.sent as { method?: string; result?: unknown }[]).map((m) => m.method ?? m.result)).toEqual(
        ['walletd_hello', true, 'walletd_state'],
      )
    })

    it('a first message that is not a valid proof closes the connection (1008), nothing runs', async () => {
      const t = setup()
      const sink = fakeSink()
      const h = t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: authenticator(false),
        pushes: true,
        sink,
      })!
      h.receive(frame(1, 'eth_accounts'))
      await flush()
      expect(sink.closedWith).toEqual({ code: 1008, reason: 'authentication failed' })
      expect(sink.sent.map((m) => (m as { result?: unknown }).result)).not.toContain('eth_accounts')
      expect((await t.metrics.connectionsTotal.get()).values).toEqual([
        expect.objectContaining({ labels: { outcome: 'auth_failed' }, value: 1 }),
      ])
      expect(t.logLines().find((l) => l.msg === 'handshake failed')).toMatchObject({
        reason: 'bad proof',
        origin: 'https://a.example',
      })
      h.receive(frame(2, 'eth_accounts'))
      await flush()
      expect(sink.sent).toHaveLength(2)
      h.closed(1008)
      expect(t.connections.pending).toBe(0)
      expect(t.connections.total).toBe(0)
    })

    it('over request() (a stream’s POST) the answer is returned, not written to the stream', async () => {
      const t = setup()
      const signal = new AbortController().signal
      const bad = fakeSink()
      const h = t.layer.open({
        transport: 'sse',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: authenticator(false),
        pushes: true,
        sink: bad,
      })!
      expect(JSON.parse((await h.request(rpcText(1), signal))!)).toMatchObject({ error: { code: 4100 } })
      expect(bad.sent).toEqual([{ jsonrpc: '2.0', method: 'walletd_hello', params: [{}] }])
      expect(bad.closedWith).toEqual({ code: 1008, reason: 'authentication failed' })
      const good = fakeSink()
      const g = t.layer.open({
        transport: 'sse',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: authenticator(true),
        pushes: true,
        sink: good,
      })!
      const auth = JSON.stringify({ jsonrpc: '2.0', id: 'a', method: 'walletd_auth' })
      expect(JSON.parse((await g.request(auth, signal))!)).toEqual({ jsonrpc: '2.0', id: 'a', result: true })
      expect((good.sent as { method?: string }[]).map((m) => m.method)).toEqual([
        'walletd_hello',
        'walletd_state',
      ])
      expect(JSON.parse((await g.request(rpcText(2), signal))!)).toMatchObject({
        id: 2,
        result: 'eth_chainId',
      })
    })

    it('a connection that does not authenticate within server.authTimeoutMs is closed', async () => {
      const t = setup({ server: { authTimeoutMs: 20 } })
      const sink = fakeSink()
      const h = t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: authenticator(true),
        pushes: true,
        sink,
      })!
      await new Promise((r) => setTimeout(r, 60))
      expect(sink.closedWith).toEqual({ code: 1008, reason: 'authentication timeout' })
      expect((await t.metrics.connectionsTotal.get()).values).toEqual([
        expect.objectContaining({ labels: { outcome: 'auth_timeout' }, value: 1 }),
      ])
      expect(t.logLines().find((l) => l.msg === 'handshake not finished in time')).toMatchObject({
        origin: 'https://a.example',
      })
      h.closed(1008)
      expect(t.connections.pending).toBe(0)
    })
  })

  it('requestOnce (plain HTTP) charges the frame budget per origin and reports refusals', async () => {
    const t = setup({ rateLimit: { connection: { burst: 2, perSecond: 0.001 } } })
    const signal = new AbortController().signal
    const caller = { origin: 'https://a.example', tokenName: 'h' }
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })
    expect(JSON.parse((await t.layer.requestOnce(caller, body, signal))!)).toMatchObject({
      result: 'eth_chainId',
    })
    await t.layer.requestOnce(caller, body, signal)
    const refused = JSON.parse((await t.layer.requestOnce(caller, body, signal))!)
    expect(refused).toMatchObject({ error: { code: -32005, data: { limit: 'connection:perSecond' } } })
    // Another origin has its own budget.
    const other = await t.layer.requestOnce({ origin: 'https://b.example', tokenName: 'h' }, body, signal)
    expect(JSON.parse(other!)).toMatchObject({ result: 'eth_chainId' })
  })

  describe('what each request passes through', () => {
    const open = (t: ReturnType<typeof setup>, sink: FakeSink, extra: Partial<OpenConnectionOptions> = {}) =>
      t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: 'h',
        pushes: false,
        sink,
        ...extra,
      })!
    const outcomes = async (t: ReturnType<typeof setup>) =>
      Object.fromEntries(
        (await t.metrics.connectionsTotal.get()).values.map((v) => [String(v.labels.outcome), v.value]),
      )
    const active = async (t: ReturnType<typeof setup>) =>
      (await t.metrics.connectionsActive.get()).values.find((v) => v.labels.transport === 'ws')?.value ?? 0

    it('a refused frame keeps its id when small and well-formed, else id null', () => {
      const t = setup({
        rateLimit: { connection: { burst: 1, perSecond: 0.001 } },
        server: { maxIdLength: 8 },
      })
      const sink = fakeSink()
      const h = open(t, sink)
      h.receive(frame(0))
      const refusedId = (id: unknown, pad = 0) => {
        h.receive(JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_chainId', pad: 'x'.repeat(pad) }))
        const last = sink.sent.at(-1) as { jsonrpc: string; id: unknown; error: { code: number } }
        expect(last.jsonrpc).toBe('2.0')
        expect(last.error.code).toBe(-32005)
        return last.id
      }
      expect(refusedId(7)).toBe(7)
      expect(refusedId('abcdefgh')).toBe('abcdefgh')
      expect(refusedId('abcdefghi')).toBeNull()
      expect(refusedId({ a: 1 })).toBeNull()
      expect(refusedId(true)).toBeNull()
      expect(refusedId([1])).toBeNull()
      expect(refusedId('7')).toBe('7')
      expect(refusedId(0)).toBe(0)
      // 4096 characters is still small; one more is not.
      const base = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'eth_chainId', pad: '' }).length
      expect(refusedId(9, 4096 - base)).toBe(9)
      expect(refusedId(9, 4097 - base)).toBeNull()
      h.receive('null')
      expect(sink.sent.at(-1)).toMatchObject({ id: null })
    })

    it('the flood budget holds 8 bursts of refusals (at least 1,000) and refills at twice the frame rate', () => {
      const t = setup({ rateLimit: { connection: { burst: 200, perSecond: 4 } } })
      const sink = fakeSink()
      const h = open(t, sink)
      // Frame-budget refusals (the in-flight cap refuses some of the passing frames too).
      const refusals = () =>
        sink.sent.filter(
          (m) =>
            (m as { error?: { data?: { limit?: string } } }).error?.data?.limit === 'connection:perSecond',
        ).length
      for (let i = 0; i < 200 + 1600; i++) h.receive(frame(i))
      expect(refusals()).toBe(1600)
      expect(sink.closedWith).toBeNull()
      // One second later: 4 more frames pass, and 8 more refusals fit before the close.
      t.clock.advance(1000)
      for (let i = 0; i < 4 + 8; i++) h.receive(frame(i))
      expect(refusals()).toBe(1608)
      expect(sink.closedWith).toBeNull()
      h.receive(frame(0))
      expect(sink.closedWith).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    })

    it('a small burst still gets 1,000 refusals before the close', () => {
      const t = setup({ rateLimit: { connection: { burst: 5, perSecond: 0.001 } } })
      const sink = fakeSink()
      const h = open(t, sink)
      for (let i = 0; i < 5 + 1000; i++) h.receive(frame(i))
      expect(sink.closedWith).toBeNull()
      h.receive(frame(0))
      expect(sink.closedWith?.code).toBe(1008)
    })

    it('requests share one abort signal per connection, sized for every request and batch in flight, aborted on close', async () => {
      const signals: AbortSignal[] = []
      const t = setup(
        { connections: { maxInFlightPerConnection: 3 }, server: { maxBatchSize: 5 } },
        {
          handleText: async (_text, _conn, signal) => {
            signals.push(signal)
            return null
          },
        },
      )
      const sink = fakeSink()
      const h = open(t, sink)
      h.receive(frame(1))
      h.receive(frame(2))
      await flush()
      expect(signals).toHaveLength(2)
      expect(signals[0]).toBe(signals[1])
      expect(getMaxListeners(signals[0]!)).toBe(3 * 5 * 2)
      expect(signals[0]!.aborted).toBe(false)
      h.closed(1000)
      expect(signals[0]!.aborted).toBe(true)
      expect((signals[0]!.reason as Error).message).toBe('connection closed')
    })

    it('writes up to the buffer limit; past it the slow reader is counted, logged and terminated', async () => {
      const t = setup({ connections: { maxBufferedBytes: 10 } })
      const sink = fakeSink()
      const h = open(t, sink)
      sink.buffer = 10
      h.conn.notify?.({ a: 1 })
      expect(sink.sent).toEqual([{ a: 1 }])
      sink.buffer = 11
      h.conn.notify?.({ a: 2 })
      expect(sink.terminated).toBe(true)
      expect(await outcomes(t)).toMatchObject({ slow_reader: 1 })
      const line = t.logLines().find((l) => l.msg === 'closing a slow reader')
      expect(line).toMatchObject({ bufferedAmount: 11, origin: 'https://a.example', connId: h.conn.id })
    })

    it('conn.close ends the connection through the sink; onClose runs at close, once, and at once after', () => {
      const t = setup()
      const sink = fakeSink()
      const h = open(t, sink)
      expect(h.conn.closed).toBe(false)
      let calls = 0
      h.conn.onClose(() => calls++)
      expect(calls).toBe(0)
      h.conn.close(4000, 'bye')
      expect(sink.closedWith).toEqual({ code: 4000, reason: 'bye' })
      // Nothing more is written once the layer ended it.
      h.conn.notify?.({ late: true })
      expect(sink.sent).toEqual([])
      h.closed(4000)
      expect(h.conn.closed).toBe(true)
      expect(calls).toBe(1)
      expect(t.logText()).not.toContain('close handler failed')
    })

    it('a close handler that throws is logged and the others still run; a connection without handlers closes quietly', () => {
      const t = setup()
      const h = open(t, fakeSink())
      let ran = false
      h.conn.onClose(() => {
        throw new Error('boom')
      })
      h.conn.onClose(() => {
        ran = true
      })
      h.closed(1000)
      expect(ran).toBe(true)
      expect(t.logLines().filter((l) => l.msg === 'close handler failed')).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'boom' }) }),
      ])
      const quiet = setup()
      open(quiet, fakeSink()).closed(1000)
      expect(quiet.logText()).not.toContain('close handler failed')
    })

    it('counts and logs opens and closes; closing twice changes nothing', async () => {
      const t = setup()
      const h = open(t, fakeSink())
      expect(await active(t)).toBe(1)
      expect(await outcomes(t)).toMatchObject({ accepted: 1 })
      expect(t.logLines().find((l) => l.msg === 'connection opened')).toMatchObject({
        transport: 'ws',
        tokenName: 'h',
        origin: 'https://a.example',
        connId: h.conn.id,
      })
      h.closed(1000)
      h.closed(1000)
      expect(await active(t)).toBe(0)
      expect(t.connections.total).toBe(0)
      expect(t.logLines().filter((l) => l.msg === 'connection closed')).toEqual([
        expect.objectContaining({ code: 1000, connId: h.conn.id }),
      ])
    })

    it('with info off, an idle connection makes no child logger', () => {
      const t = setup({}, { level: 'warn' })
      const h = open(t, fakeSink())
      open(t, fakeSink(), { transport: 'admin', origin: 'admin', register: false })
      h.closed(1000)
      expect(t.children()).toBe(0)
    })

    it('a connection outside the registry logs its open, not its close, and counts in no gauge', async () => {
      const t = setup()
      const h = open(t, fakeSink(), { transport: 'admin', origin: 'admin', register: false })
      expect(t.logLines().find((l) => l.msg === 'connection opened')).toMatchObject({ transport: 'admin' })
      h.closed(1000)
      expect(t.logText()).not.toContain('connection closed')
      expect(await outcomes(t)).toEqual({})
    })

    it('a racing upgrade over the caps is counted cap_race and told why', async () => {
      const t = setup({ connections: { maxPerOrigin: 1 } })
      open(t, fakeSink())
      const second = fakeSink()
      expect(
        t.layer.open({
          transport: 'ws',
          origin: 'https://a.example',
          tokenName: 'h',
          pushes: true,
          sink: second,
        }),
      ).toBeNull()
      expect(second.closedWith).toEqual({ code: 1013, reason: 'too many connections' })
      expect(second.sent).toEqual([])
      expect(await outcomes(t)).toMatchObject({ accepted: 1, cap_race: 1 })
      expect(await active(t)).toBe(1)
    })

    it('the in-flight refusal says the cap; a request that finished (or failed) frees its slot', async () => {
      let fail = false
      const t = setup(
        { connections: { maxInFlightPerConnection: 1 } },
        {
          handleText: async (text) => {
            await flush()
            if (fail) throw new Error('handler bug')
            return JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(text).id, result: 'ok' })
          },
        },
      )
      const sink = fakeSink()
      const h = open(t, sink)
      h.receive(frame(1))
      h.receive(frame(2))
      expect(sink.sent).toEqual([
        {
          jsonrpc: '2.0',
          id: 2,
          error: {
            code: -32005,
            message: 'Too many requests in flight on this connection (at most 1).',
            data: { retryAfterMs: 100, limit: 'inflight' },
          },
        },
      ])
      expect(t.logLines().find((l) => l.msg === 'rate limit exceeded')).toMatchObject({ maxInFlight: 1 })
      await flush()
      await flush()
      fail = true
      h.receive(frame(3))
      await flush()
      await flush()
      expect(sink.sent.at(-1)).toMatchObject({ id: null, error: { code: -32600 } })
      expect(t.logLines().filter((l) => l.msg === 'message handler failed')).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'handler bug' }) }),
      ])
      fail = false
      h.receive(frame(4))
      await flush()
      await flush()
      expect(sink.sent.slice(1)).toEqual([
        { jsonrpc: '2.0', id: 1, result: 'ok' },
        expect.objectContaining({ id: null }),
        { jsonrpc: '2.0', id: 4, result: 'ok' },
      ])
      expect(h.conn.inFlight).toBe(0)
    })

    it('frames reach the pipeline as text; binary ones are refused with a message; notifications get no answer', async () => {
      const texts: unknown[] = []
      const t = setup(
        {},
        {
          handleText: async (text) => {
            texts.push(text)
            return null
          },
        },
      )
      const sink = fakeSink()
      const h = open(t, sink)
      h.receive(Buffer.from('{"jsonrpc":"2.0","method":"x"}'))
      h.receive('{"jsonrpc":"2.0","method":"y"}')
      h.receive(Buffer.from('{}'), true)
      await flush()
      expect(texts).toEqual(['{"jsonrpc":"2.0","method":"x"}', '{"jsonrpc":"2.0","method":"y"}'])
      expect(sink.sent).toEqual([
        {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: 'Parse error: binary frames are not accepted; send JSON text.' },
        },
      ])
    })

    it('request (an HTTP request on a stream): answered on its own, budgets applied, aborted by either side', async () => {
      const signals: AbortSignal[] = []
      const t = setup(
        { rateLimit: { connection: { burst: 2, perSecond: 0.001 } } },
        {
          handleText: async (text, _conn, signal) => {
            signals.push(signal)
            return JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(text).id, result: 'ok' })
          },
        },
      )
      const sink = fakeSink()
      const h = open(t, sink, { transport: 'sse' })
      const caller = new AbortController()
      expect(JSON.parse((await h.request(rpcText(1), caller.signal))!)).toEqual({
        jsonrpc: '2.0',
        id: 1,
        result: 'ok',
      })
      expect(sink.sent).toEqual([])
      caller.abort()
      expect(signals[0]!.aborted).toBe(true)
      const other = new AbortController()
      await h.request(rpcText(2), other.signal)
      expect(signals[1]!.aborted).toBe(false)
      expect(JSON.parse((await h.request(rpcText(3), other.signal))!)).toMatchObject({
        id: 3,
        error: { code: -32005 },
      })
      h.closed(1006)
      expect(signals[1]!.aborted).toBe(true)
      expect(JSON.parse((await h.request(rpcText(4), other.signal))!)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'The connection is closed.' },
      })
    })

    it('request on a connection being closed for flooding is refused plainly', async () => {
      const t = setup({ rateLimit: { connection: { burst: 1, perSecond: 0.001 } } })
      const sink = fakeSink()
      const h = open(t, sink, { transport: 'sse' })
      const signal = new AbortController().signal
      await h.request(rpcText(0), signal)
      let last: string | null = null
      for (let i = 1; i <= 1000; i++) last = await h.request(rpcText(i), signal)
      expect(JSON.parse(last!)).toMatchObject({ id: 1000, error: { code: -32005 } })
      last = await h.request(rpcText(5), signal)
      expect(sink.closedWith).toEqual({ code: 1008, reason: 'rate limit exceeded' })
      expect(JSON.parse(last!)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: expect.objectContaining({ code: -32600 }),
      })
      expect(await outcomes(t)).toMatchObject({ closed_flooding: 1 })
      expect(t.logText()).toContain('closing a connection that keeps flooding after refusals')
    })

    it('syncAll skips connections without pushes; closeAll closes every connection, handshakes included', () => {
      const t = setup()
      const plain = fakeSink()
      const pushed = fakeSink()
      const pending = fakeSink()
      open(t, plain)
      open(t, pushed, { pushes: true })
      t.layer.open({
        transport: 'ws',
        origin: 'https://a.example',
        tokenName: null,
        authenticator: { hello: '{"hello":1}', verify: () => ({ ok: false, reason: 'x', answer: '{}' }) },
        pushes: true,
        sink: pending,
      })
      expect(() => t.layer.syncAll()).not.toThrow()
      t.layer.closeAll(1001, 'shutting down')
      for (const s of [plain, pushed, pending])
        expect(s.closedWith).toEqual({ code: 1001, reason: 'shutting down' })
    })

    it('a chain switch or a revoke drops the origin’s subscriptions; a grant does not', () => {
      const t = setup()
      const stop = t.layer.watchSessions()
      const account = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
      t.sessions.grantAccounts('https://a.example', [account])
      expect(t.dropped).toEqual([])
      t.sessions.setChain('https://b.example', 10)
      expect(t.dropped).toEqual(['https://b.example'])
      t.sessions.revoke('https://a.example')
      expect(t.dropped).toEqual(['https://b.example', 'https://a.example'])
      stop()
      t.sessions.setChain('https://a.example', 10)
      expect(t.dropped).toHaveLength(2)
    })

    it('every granted account is pushed, comma-separated lists split back', () => {
      const t = setup()
      const accounts: `0x${string}`[] = [
        '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
        '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      ]
      ;(t.services as { signer: unknown }).signer = { accounts: () => accounts }
      t.sessions.grantAccounts('https://a.example', accounts)
      const sink = fakeSink()
      open(t, sink, { pushes: true })
      expect(sink.sent[0]).toMatchObject({
        params: [{ accounts: accounts.map((a) => a.toLowerCase()) }],
      })
    })

    it('requestOnce gives the pipeline an http connection with a stable id, closed (and its closers run) after', async () => {
      const seen: {
        id: string
        id2: string
        transport: string
        closed: boolean
        tokenName: string | null
      }[] = []
      let closerRan = false
      let conn: { closed: boolean } | undefined
      const t = setup(
        {},
        {
          handleText: async (_text, c) => {
            conn = c
            c.log.info('inside')
            c.onClose(() => {
              closerRan = true
            })
            seen.push({
              id: c.id,
              id2: c.id,
              transport: c.transport,
              closed: c.closed,
              tokenName: c.tokenName,
            })
            return null
          },
        },
      )
      expect(
        await t.layer.requestOnce({ origin: 'token:x', tokenName: 'x' }, '{}', new AbortController().signal),
      ).toBeNull()
      expect(seen[0]!.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(seen[0]).toEqual({
        id: seen[0]!.id,
        id2: seen[0]!.id,
        transport: 'http',
        closed: false,
        tokenName: 'x',
      })
      expect(conn!.closed).toBe(true)
      expect(closerRan).toBe(true)
      expect(t.logLines().find((l) => l.msg === 'inside')).toMatchObject({
        connId: seen[0]!.id,
        origin: 'token:x',
      })
    })
  })
})
