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
import { type Authenticator, type ConnectionSink, createConnectionLayer } from './createConnectionLayer.js'
import { createConnectionRegistry } from './createConnectionRegistry.js'

const chain = (chainId: number) => ({
  chainId,
  name: `chain ${chainId}`,
  rpcUrls: ['http://127.0.0.1:1'],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})

/** A layer over real sessions, limiter and registries; the handler echoes the method after a gate opens. */
function setup(overrides: DeepPartial<Config> = {}) {
  const clock = fakeClock(1_000_000)
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: { chains: [chain(1), chain(10)], ...overrides },
  })
  const sink = createLogSink('debug')
  const metrics = createMetrics({ defaults: false })
  const sessions = createSessionStore({ defaultChainId: () => 1, now: clock.now })
  const services = {
    config,
    log: sink.logger,
    metrics,
    chains: createChainRegistry(config.chains, 1),
    sessions,
    limiter: createRequestLimiter({ config: config.rateLimit, now: clock.now }),
    subscriptions: createSubscriptionRegistry({ metrics, maxPerConnection: 4 }),
    // Unlocked: one account (set `signer` to null to lock walletd).
    signer: {
      accounts: () => ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'],
    } as unknown as Services['signer'],
    now: clock.now,
  } as unknown as Services
  let release: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  const handler: MessageHandler = {
    async handleText(text) {
      await gate
      const { id, method } = JSON.parse(text) as { id: number; method: string }
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
      h.receive(frame(2, 'eth_accounts'))
      await flush()
      expect(sink.sent).toHaveLength(2)
      h.closed(1008)
      expect(t.connections.pending).toBe(0)
      expect(t.connections.total).toBe(0)
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
})
