import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { openHandshake, proofOf, transcriptOf, verifyHello } from '../../test/helpers/handshakeClient.js'
import { createLogSink } from '../../test/helpers/logSink.js'
import { connect } from '../../test/helpers/wsClient.js'
import { type DeepPartial, loadConfig } from '../config/loadConfig.js'
import type { Config } from '../config/schema.js'
import { createMetrics } from '../metrics.js'
import { createRequestLimiter } from '../ratelimit/createRequestLimiter.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Services } from '../rpc/services.js'
import { createSessionStore } from '../session/createSessionStore.js'
import { createChainRegistry } from '../upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from '../upstream/createSubscriptionRegistry.js'
import type { ConnectionLayer } from './createConnectionLayer.js'
import { createConnectionRegistry } from './createConnectionRegistry.js'
import { createServer } from './createServer.js'
import { createTokenStore } from './createTokenStore.js'
import { identityFromKey } from './handshake/loadIdentityKey.js'
import { registerDevDemo } from './plugins/devDemo.js'
import { providerBundlePath } from './plugins/providerBundle.js'

const ORIGIN = 'https://app.example'
const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

const chain = (chainId: number) => ({
  chainId,
  name: `chain ${chainId}`,
  rpcUrls: ['http://127.0.0.1:1'],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

type Setup = {
  config?: DeepPartial<Config>
  /** Whether chain 1's upstream is connected (default true). */
  connected?: boolean
  canDecide?: boolean
  locked?: boolean
  extraRoutes?: (app: FastifyInstance) => void
}

/**
 * The whole HTTP/WebSocket server on a free loopback port over fake services: the handler echoes
 * `{ method, transport, origin, tokenName }` (a notification without id gets no answer).
 */
async function start(opts: Setup = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'walletd-server-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  const clock = fakeClock(1_000_000)
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: { chains: [chain(1)], ...(opts.config ?? {}) },
  })
  const sink = createLogSink('debug')
  const metrics = createMetrics({ defaults: false })
  const sessions = createSessionStore({ defaultChainId: () => 1, now: clock.now })
  const connected = opts.connected ?? true
  const services = {
    config,
    log: sink.logger,
    metrics,
    chains: createChainRegistry(config.chains, 1),
    upstreams: { get: () => ({ status: () => ({ connected, transport: 'ws' }) }) },
    approvals: { canDecide: opts.canDecide ?? true, approverNames: ['terminal'] },
    sessions,
    limiter: createRequestLimiter({ config: config.rateLimit, now: clock.now }),
    subscriptions: createSubscriptionRegistry({ metrics, maxPerConnection: 4 }),
    signer: opts.locked ? null : { accounts: () => [ACCOUNT] },
    now: clock.now,
  } as unknown as Services
  const held: (number | null)[] = []
  const aborts: string[] = []
  const seen: { text: string; transport: string; origin: string; tokenName: string | null }[] = []
  const handler: MessageHandler = {
    async handleText(text, conn, signal) {
      seen.push({ text, transport: conn.transport, origin: conn.origin, tokenName: conn.tokenName })
      if (text === '')
        return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'empty' } })
      const msg = JSON.parse(text) as { id?: number; method: string }
      if (msg.method === 'hold') {
        // Waits until the request is abandoned.
        held.push(msg.id ?? null)
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }))
        aborts.push((signal.reason as Error).message)
        return null
      }
      if (msg.id === undefined) return null
      return JSON.stringify({
        jsonrpc: '2.0',
        id: msg.id,
        result: {
          method: msg.method,
          transport: conn.transport,
          origin: conn.origin,
          tokenName: conn.tokenName,
        },
      })
    },
    handleRequest: async () => null,
  }
  const tokens = createTokenStore({ file: join(dir, 'tokens.json'), now: clock.now })
  const host = tokens.create('host').token
  const other = tokens.create('other').token
  const urlToken = tokens.create('urltok', { url: true }).token
  const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  const connections = createConnectionRegistry()
  let port = 0
  let layer: ConnectionLayer | undefined
  const app = await createServer({
    services,
    handler,
    tokens,
    connections,
    version: '9.9.9',
    startedAt: clock.now() - 42_000,
    port: () => port,
    identity,
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
    onLayer: (l) => {
      layer = l
    },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as { port: number }).port
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
  }
  cleanup.push(close)
  const base = `http://127.0.0.1:${port}`
  const outcomes = async () =>
    Object.fromEntries(
      (await metrics.connectionsTotal.get()).values.map((v) => [String(v.labels.outcome), v.value]),
    )
  return {
    app,
    port,
    base,
    wsUrl: `ws://127.0.0.1:${port}/rpc`,
    host,
    other,
    urlToken,
    identity,
    tokens,
    sessions,
    services,
    connections,
    metrics,
    seen,
    held,
    aborts,
    logText: sink.text,
    layer: () => layer!,
    outcomes,
    close,
  }
}

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP request on its own socket (`fetch` cannot send some of the headers used here). */
function http(
  url: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const rpc = (id: number | undefined, method: string) =>
  JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method })

/** A JSON-RPC notification (or answer) sent as an event. */
type StreamEvent = { method?: string; params: Partial<Record<string, string>>[] }

/** A `GET /events` stream: its `data:` events parsed, the `event: close` ones, and the end. */
function openStream(url: string, headers: Record<string, string>) {
  const events: StreamEvent[] = []
  const closes: unknown[] = []
  const waiters = new Set<() => void>()
  let status = 0
  let pings = 0
  let resHeaders: Record<string, string | string[] | undefined> = {}
  let ended = false
  const changed = () => {
    for (const w of waiters) w()
  }
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
    status = res.statusCode ?? 0
    resHeaders = res.headers
    let buffer = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n')
        if (block === ': ping') pings++
        else if (block.startsWith('event: close')) closes.push(JSON.parse(data))
        else if (data) events.push(JSON.parse(data))
        end = buffer.indexOf('\n\n')
      }
      changed()
    })
    res.on('end', () => {
      ended = true
      changed()
    })
    changed()
  })
  req.on('error', () => {
    ended = true
    changed()
  })
  req.end()
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (pred()) {
          waiters.delete(check)
          resolve()
        }
      }
      waiters.add(check)
      check()
    })
  return {
    events,
    closes,
    get status() {
      return status
    },
    get headers() {
      return resHeaders
    },
    get ended() {
      return ended
    },
    get pings() {
      return pings
    },
    until,
    event: async (n: number) => {
      await until(() => events.length > n)
      return events[n]
    },
    close: () => req.destroy(),
  }
}

describe('createServer: WebSocket RPC (GET /rpc upgraded)', () => {
  it('a walletd.v1 socket gets its state first, then answers on the caller’s connection', async () => {
    const s = await start()
    const client = await connect(s.wsUrl, { token: s.host, origin: ORIGIN })
    cleanup.push(() => client.close())
    expect(client.socket.protocol).toBe('walletd.v1')
    expect(await client.waitForNotification((n) => n.method === 'walletd_state')).toEqual({
      method: 'walletd_state',
      params: [{ chainId: '0x1', networkVersion: '1', accounts: [], version: '9.9.9' }],
    })
    expect(await client.call('eth_chainId')).toMatchObject({
      result: { method: 'eth_chainId', transport: 'ws', origin: ORIGIN, tokenName: 'host' },
    })
    // Session changes of its origin are pushed (the layer watches the sessions).
    s.sessions.grantAccounts(ORIGIN, [ACCOUNT])
    expect(await client.waitForNotification((n) => n.method === 'walletd_accountsChanged')).toMatchObject({
      params: [[ACCOUNT.toLowerCase()]],
    })
    expect(s.connections.total).toBe(1)
    await client.close()
    await waitFor(() => s.connections.total === 0)
  })

  it('a plain JSON-RPC socket (Bearer, no subprotocol) gets no walletd pushes; binary frames are refused', async () => {
    const s = await start()
    const socket = new WebSocket(s.wsUrl, { headers: { authorization: `Bearer ${s.host}` } })
    cleanup.push(() => socket.terminate())
    const messages: Record<string, unknown>[] = []
    socket.on('message', (d) => messages.push(JSON.parse(String(d))))
    await new Promise((r) => socket.once('open', r))
    socket.send(Buffer.from(rpc(1, 'eth_chainId')), { binary: true })
    socket.send(rpc(2, 'eth_chainId'))
    // A message split over fragments arrives whole.
    socket.send('{"jsonrpc":"2.0","id":3,', { fin: false })
    socket.send('"method":"eth_blockNumber"}', { fin: true })
    await waitFor(() => messages.length === 3)
    expect(messages[0]).toMatchObject({ id: null, error: { code: -32700 } })
    expect(messages.slice(1)).toEqual([
      {
        jsonrpc: '2.0',
        id: 2,
        result: { method: 'eth_chainId', transport: 'ws', origin: 'token:host', tokenName: 'host' },
      },
      {
        jsonrpc: '2.0',
        id: 3,
        result: { method: 'eth_blockNumber', transport: 'ws', origin: 'token:host', tokenName: 'host' },
      },
    ])
    expect(messages.some((m) => m.method !== undefined)).toBe(false)
  })

  it('a token URL (/rpc/<token>) opens a socket for its token; a wrong one does not', async () => {
    const s = await start()
    const client = await connect(`${s.wsUrl}/${s.urlToken}`)
    cleanup.push(() => client.close())
    expect(await client.call('eth_chainId')).toMatchObject({
      result: { origin: 'token:urltok', tokenName: 'urltok' },
    })
    await expect(connect(`${s.wsUrl}/${s.host}`)).rejects.toMatchObject({ statusCode: 401 })
  })

  it('a socket without a token runs the handshake: a signed hello for its Host and port, then the proof', async () => {
    const s = await start()
    const hs = await openHandshake(s.wsUrl, ORIGIN)
    cleanup.push(() => hs.socket.terminate())
    const transcript = transcriptOf({
      clientNonce: hs.clientNonce,
      serverNonce: hs.hello.serverNonce,
      origin: ORIGIN,
      host: `127.0.0.1:${s.port}`,
      port: s.port,
    })
    expect(verifyHello(s.identity.publicKey, transcript, hs.hello.signature)).toBe(true)
    expect(s.connections.pending).toBe(1)
    hs.socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'auth',
        method: 'walletd_auth',
        params: [{ proof: proofOf(s.host, transcript) }],
      }),
    )
    expect(await hs.next()).toMatchObject({ id: 'auth', result: expect.anything() })
    expect(await hs.next()).toMatchObject({ method: 'walletd_state' })
    hs.socket.send(rpc(1, 'eth_accounts'))
    expect(await hs.next()).toMatchObject({ id: 1, result: { origin: ORIGIN, tokenName: 'host' } })
    expect(s.connections.pending).toBe(0)
    expect(s.connections.total).toBe(1)
  })

  it('a socket that answers no ping is terminated by the heartbeat; one that does stays', async () => {
    const s = await start({ config: { server: { heartbeatMs: 30 } } })
    const dead = new WebSocket(s.wsUrl, { headers: { authorization: `Bearer ${s.host}` }, autoPong: false })
    dead.on('error', () => {})
    const deadOpen = new Promise((r) => dead.once('open', r))
    const deadClosed = new Promise<number>((r) => dead.once('close', (code) => r(code)))
    const live = await connect(s.wsUrl, { token: s.host, via: 'bearer' })
    cleanup.push(
      () => dead.terminate(),
      () => live.close(),
    )
    await deadOpen
    expect(await deadClosed).toBe(1006)
    await waitFor(() => s.connections.total === 1)
    expect(s.logText()).toContain('no pong: terminating')
    // The live one still answers after several heartbeats.
    let pings = 0
    live.socket.on('ping', () => pings++)
    await waitFor(() => pings >= 3)
    expect(await live.call('eth_chainId')).toMatchObject({ result: { method: 'eth_chainId' } })
  })

  it('a socket that does not read its answers is terminated once too much is waiting for it', async () => {
    const s = await start({ config: { connections: { maxBufferedBytes: 65_536 } } })
    const client = await connect(s.wsUrl, { token: s.host, via: 'bearer' })
    // Stop reading: answers pile up in the server's buffers.
    ;(client.socket as unknown as { _socket: { pause(): void } })._socket.pause()
    const big = 'm'.repeat(200_000)
    for (let i = 0; i < 100 && s.connections.total === 1; i++) {
      client.socket.send(rpc(i, big))
      await new Promise((r) => setTimeout(r, 1))
    }
    await waitFor(() => s.connections.total === 0)
    expect(await s.outcomes()).toMatchObject({ slow_reader: 1 })
  })

  it('a socket error is logged without the frame and the socket dropped', async () => {
    const s = await start({ config: { server: { maxPayloadBytes: 1024 } } })
    const client = await connect(s.wsUrl, { token: s.host, via: 'bearer' })
    client.socket.send('x'.repeat(2048))
    expect((await client.closed).code).toBe(1009)
    await waitFor(() => s.connections.total === 0)
    expect(s.logText()).toContain('socket error')
    expect(s.logText()).not.toContain('xxxxxxxx')
  })

  it('shutting down tells every connection 1001, those in their handshake too', async () => {
    const s = await start()
    const client = await connect(s.wsUrl, { token: s.host, origin: ORIGIN })
    const hs = await openHandshake(s.wsUrl, ORIGIN)
    await s.close()
    expect(await client.closed).toEqual({ code: 1001, reason: 'walletd is shutting down' })
    expect(await hs.closed).toEqual({ code: 1001, reason: 'walletd is shutting down' })
    // Session changes are no longer watched.
    s.sessions.grantAccounts(ORIGIN, [ACCOUNT])
  })
})

describe('createServer: HTTP RPC (POST /rpc)', () => {
  const post = (
    s: { base: string },
    body: string,
    headers: Record<string, string> = {},
    path = '/rpc',
  ): Promise<Reply> =>
    http(`${s.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    })

  it('answers a JSON request with no-store JSON; a notification gets 204', async () => {
    const s = await start()
    const res = await post(s, rpc(7, 'eth_chainId'), { authorization: `Bearer ${s.host}` })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(res.body)).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { method: 'eth_chainId', transport: 'http', origin: 'token:host', tokenName: 'host' },
    })
    const note = await post(s, rpc(undefined, 'eth_chainId'), { authorization: `Bearer ${s.host}` })
    expect(note.status).toBe(204)
    expect(note.body).toBe('')
    expect(note.headers['cache-control']).toBe('no-store')
    // The token URL form.
    const viaUrl = await post(s, rpc(8, 'eth_chainId'), {}, `/rpc/${s.urlToken}`)
    expect(JSON.parse(viaUrl.body)).toMatchObject({ id: 8, result: { tokenName: 'urltok' } })
  })

  it('passes the body through as text (the pipeline parses it); refuses other content types and big bodies', async () => {
    const s = await start({ config: { server: { maxPayloadBytes: 1024 } } })
    const auth = { authorization: `Bearer ${s.host}` }
    const text = rpc(1, 'eth_chainId')
    await post(s, text, auth)
    expect(s.seen.at(-1)?.text).toBe(text)
    const plain = await post(s, text, { ...auth, 'content-type': 'text/plain' })
    expect(plain.status).toBe(415)
    const big = await post(s, JSON.stringify({ pad: 'x'.repeat(2000) }), auth)
    expect(big.status).toBe(413)
    expect(s.seen).toHaveLength(1)
  })

  it('an empty body reaches the pipeline as empty text', async () => {
    const s = await start()
    const res = await post(s, '', { authorization: `Bearer ${s.host}` })
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: -32700 } })
    expect(s.seen.map((x) => x.text)).toEqual([''])
  })

  it('a client that goes away abandons its request (the pipeline’s signal is aborted)', async () => {
    const s = await start()
    const req = request(`${s.base}/rpc`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.host}` },
    })
    req.on('error', () => {})
    req.end(rpc(1, 'hold'))
    await waitFor(() => s.held.length === 1)
    expect(s.aborts).toEqual([])
    req.destroy()
    await waitFor(() => s.aborts.length === 1)
    expect(s.aborts).toEqual(['client went away'])
  })

  it('the preflight of a stream request is granted with exactly what the fallback needs; others are 403', async () => {
    const s = await start()
    const ok = await http(`${s.base}/rpc`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-walletd-stream',
      },
    })
    expect(ok.status).toBe(204)
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      vary: 'origin',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, x-walletd-stream',
      'access-control-max-age': '600',
    })
    const bad = await http(`${s.base}/rpc`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(bad.status).toBe(403)
    expect(bad.headers['cache-control']).toBe('no-store')
    expect(bad.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('createServer: event streams (GET /events)', () => {
  it('a Bearer stream gets its id first, then its state; requests naming it run on its connection', async () => {
    const s = await start()
    const auth = { authorization: `Bearer ${s.host}` }
    const stream = openStream(`${s.base}/events`, auth)
    cleanup.push(() => stream.close())
    const first = await stream.event(0)
    expect(first).toMatchObject({ method: 'walletd_stream', params: [{ stream: expect.any(String) }] })
    expect(stream.status).toBe(200)
    expect(stream.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    // No Origin header: no CORS headers.
    expect(stream.headers['access-control-allow-origin']).toBeUndefined()
    expect(await stream.event(1)).toMatchObject({ method: 'walletd_state' })
    const id = first!.params[0]!.stream!
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const res = await http(`${s.base}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-walletd-stream': id, ...auth },
      body: rpc(5, 'eth_chainId'),
    })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ id: 5, result: { transport: 'sse', tokenName: 'host' } })
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    // The same stream with another token, or with an Origin it did not have: 401.
    for (const headers of [
      { authorization: `Bearer ${s.other}` },
      { ...auth, origin: ORIGIN },
      { ...auth, 'x-walletd-stream': 'nope' },
    ]) {
      const refused = await http(`${s.base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-walletd-stream': id, ...headers },
        body: rpc(6, 'eth_chainId'),
      })
      expect(refused.status, JSON.stringify(headers)).toBe(401)
      expect(JSON.parse(refused.body)).toEqual({ error: 'unknown event stream' })
      expect(refused.headers['cache-control']).toBe('no-store')
    }
    // Session pushes arrive as events.
    s.sessions.setChain('token:host', 1)
    s.sessions.grantAccounts('token:host', [ACCOUNT])
    await stream.until(() => stream.events.some((e) => e.method === 'walletd_accountsChanged'))
    expect(s.connections.total).toBe(1)
    stream.close()
    await waitFor(() => s.connections.total === 0)
    // A closed stream is forgotten.
    const gone = await http(`${s.base}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-walletd-stream': id, ...auth },
      body: rpc(7, 'eth_chainId'),
    })
    expect(gone.status).toBe(401)
  })

  it('a page’s stream runs the handshake through POST /rpc, with CORS headers for its Origin', async () => {
    const s = await start()
    const clientNonce = 'c'.repeat(43)
    const stream = openStream(`${s.base}/events?nonce=${clientNonce}`, { origin: ORIGIN })
    cleanup.push(() => stream.close())
    const hello = await stream.event(0)
    expect(hello!.method).toBe('walletd_hello')
    expect(stream.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, vary: 'origin' })
    const {
      stream: id,
      serverNonce,
      signature,
    } = hello!.params[0] as { stream: string; serverNonce: string; signature: string }
    const transcript = transcriptOf({
      clientNonce,
      serverNonce,
      origin: ORIGIN,
      host: `127.0.0.1:${s.port}`,
      port: s.port,
    })
    expect(verifyHello(s.identity.publicKey, transcript, signature)).toBe(true)
    const send = (body: string, origin = ORIGIN) =>
      http(`${s.base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-walletd-stream': id, origin },
        body,
      })
    // Another origin cannot use the stream.
    expect((await send(rpc(1, 'eth_chainId'), 'https://evil.example')).status).toBe(401)
    const auth = await send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'a',
        method: 'walletd_auth',
        params: [{ proof: proofOf(s.host, transcript) }],
      }),
    )
    expect(auth.status).toBe(200)
    expect(auth.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, vary: 'origin' })
    expect(JSON.parse(auth.body)).toMatchObject({ id: 'a', result: expect.anything() })
    expect(await stream.event(1)).toMatchObject({ method: 'walletd_state' })
    const res = await send(rpc(2, 'eth_accounts'))
    expect(JSON.parse(res.body)).toMatchObject({
      id: 2,
      result: { transport: 'sse', origin: ORIGIN, tokenName: 'host' },
    })
  })

  it('a stream gets a comment line every heartbeat, and nothing once it is closed', async () => {
    const s = await start({ config: { server: { heartbeatMs: 20 } } })
    const stream = openStream(`${s.base}/events`, { authorization: `Bearer ${s.host}` })
    cleanup.push(() => stream.close())
    await stream.until(() => stream.pings >= 2)
    // The layer ends it (a token revoked, a slow reader …): one close event, then the end.
    s.layer().closeAll(1008, 'token revoked')
    await stream.until(() => stream.ended)
    expect(stream.closes).toEqual([{ code: 1008, reason: 'token revoked' }])
    expect(stream.events.map((e) => e.method)).toEqual(['walletd_stream', 'walletd_state'])
    await waitFor(() => s.connections.total === 0)
  })

  it('shutting down sends a stream a close event and ends it', async () => {
    const s = await start()
    const auth = { authorization: `Bearer ${s.host}` }
    const stream = openStream(`${s.base}/events`, auth)
    cleanup.push(() => stream.close())
    await stream.event(1)
    await s.close()
    await stream.until(() => stream.ended)
    expect(stream.closes).toEqual([{ code: 1001, reason: 'walletd is shutting down' }])
  })

  it('a stream over the per-token cap is refused (429)', async () => {
    const s = await start({ config: { connections: { maxPerToken: 1 } } })
    const auth = { authorization: `Bearer ${s.host}` }
    const first = openStream(`${s.base}/events`, auth)
    cleanup.push(() => first.close())
    await first.event(1)
    expect(s.connections.total).toBe(1)
    const second = openStream(`${s.base}/events`, auth)
    await second.until(() => second.ended)
    expect(second.status).toBe(429)
  })
})

describe('createServer: limits and settings', () => {
  it('offers no WebSocket compression, and refuses oversized headers (431)', async () => {
    const s = await start({ config: { server: { maxHeaderBytes: 4096 } } })
    // A default ws client offers permessage-deflate; walletd declines it.
    const socket = new WebSocket(s.wsUrl, { headers: { authorization: `Bearer ${s.host}` } })
    cleanup.push(() => socket.terminate())
    await new Promise((r) => socket.once('open', r))
    expect(socket.extensions).toBe('')
    const res = await http(`${s.base}/healthz`, { headers: { 'x-pad': 'p'.repeat(8192) } })
    expect(res.status).toBe(431)
  })

  it('a route that declares a JSON schema fails loudly at start-up', async () => {
    await expect(
      start({
        extraRoutes: (app) => {
          app.post('/typed', { schema: { body: { type: 'object' } } }, async () => 'x')
        },
      }),
    ).rejects.toThrow(/walletd routes declare no JSON schemas/)
  })
})

describe('createServer: health, readiness, metrics, errors', () => {
  it('/healthz is always ok; /readyz and /health say what is missing, naming no origin or token', async () => {
    const s = await start()
    const healthz = await http(`${s.base}/healthz`, {})
    expect(healthz.status).toBe(200)
    expect(JSON.parse(healthz.body)).toEqual({ status: 'ok' })
    expect(healthz.headers['cache-control']).toBe('no-store')
    const ready = await http(`${s.base}/readyz`, {})
    expect(ready.status).toBe(200)
    expect(ready.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(ready.body)).toEqual({ ready: true, status: 'ok', notReady: [] })
    const health = await http(`${s.base}/health`, {})
    expect(health.status).toBe(200)
    expect(health.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(health.body)).toEqual({
      status: 'ok',
      ready: true,
      version: '9.9.9',
      pid: process.pid,
      uptimeSeconds: 42,
      connections: 0,
      chains: [{ chainId: 1, name: 'chain 1', connected: true, transport: 'ws' }],
      signer: { unlocked: true, accounts: 1 },
      approvers: ['terminal'],
      notReady: [],
    })
  })

  it('not ready: a locked signer, an unreachable upstream, nobody to approve', async () => {
    const s = await start({ connected: false, locked: true, canDecide: false })
    const ready = await http(`${s.base}/readyz`, {})
    expect(ready.status).toBe(503)
    expect(JSON.parse(ready.body)).toEqual({
      ready: false,
      status: 'degraded',
      notReady: [
        'the upstream of chain 1 is not reachable',
        'no account is unlocked',
        'no approver can decide (start with --policy or an approver)',
      ],
    })
    const health = await http(`${s.base}/health`, {})
    expect(health.status).toBe(503)
    expect(JSON.parse(health.body)).toMatchObject({
      status: 'degraded',
      ready: false,
      signer: { unlocked: false, accounts: 0 },
      approvers: [],
      chains: [{ chainId: 1, connected: false }],
    })
  })

  it('ready but for the approver: status ok, 200 on /health, 503 on /readyz', async () => {
    const s = await start({ canDecide: false })
    expect((await http(`${s.base}/health`, {})).status).toBe(200)
    const ready = await http(`${s.base}/readyz`, {})
    expect(ready.status).toBe(503)
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, status: 'ok' })
  })

  it('/metrics is Prometheus text, no-store', async () => {
    const s = await start()
    await http(`${s.base}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const res = await http(`${s.base}/metrics`, {})
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe(s.metrics.registry.contentType)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toMatch(/walletd_connections_total\{outcome="unauthorized"\} 1/)
  })

  it('a route that fails answers a bare 500, logged once per burst without its stack; a 4xx keeps its message', async () => {
    const s = await start({
      extraRoutes: (app) => {
        app.get('/boom', async () => {
          throw Object.assign(new Error('secret detail 0xabc'), { code: 'E_BOOM' })
        })
        app.get('/teapot', async () => {
          throw Object.assign(new Error('short and stout'), { statusCode: 418 })
        })
        app.get('/odd', async () => {
          throw Object.assign(new Error('odd'), { statusCode: 302 })
        })
      },
    })
    for (let i = 0; i < 3; i++) {
      const res = await http(`${s.base}/boom`, {})
      expect(res.status).toBe(500)
      expect(JSON.parse(res.body)).toEqual({ error: 'internal error' })
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.body).not.toContain('secret')
    }
    const lines = s
      .logText()
      .split('\n')
      .filter((l) => l.includes('"msg":"http error"'))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 50,
      err: { kind: 'E_BOOM', message: 'secret detail 0xabc' },
      count: 1,
    })
    expect(JSON.parse(lines[0]!).err.stack ?? '').toBe('')
    expect(s.logText()).toContain('http error (stack)')
    const teapot = await http(`${s.base}/teapot`, {})
    expect(teapot.status).toBe(418)
    expect(JSON.parse(teapot.body)).toEqual({ error: 'short and stout' })
    expect(teapot.headers['cache-control']).toBe('no-store')
    // A status below 400 on an error is not an answer: 500.
    const odd = await http(`${s.base}/odd`, {})
    expect(odd.status).toBe(500)
    expect(JSON.parse(odd.body)).toEqual({ error: 'internal error' })
  })

  it('a method the route does not have is 404 not found', async () => {
    const s = await start()
    const res = await http(`${s.base}/healthz`, { method: 'DELETE' })
    expect(res.status).toBe(404)
    expect(JSON.parse(res.body)).toEqual({ error: 'not found' })
  })

  it('a target fastify cannot decode is 400, counted as bad_target, never echoed; an upgrade is then closed', async () => {
    const s = await start()
    const res = await http(`${s.base}/rpc/%zzsecret`, { headers: { authorization: `Bearer ${s.host}` } })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body)).toEqual({ error: 'bad request target' })
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.connection).toBe('close')
    expect(res.body).not.toContain('secret')
    expect(await s.outcomes()).toMatchObject({ bad_target: 1 })
    const socket = new WebSocket(`${s.wsUrl}/%zzsecret`)
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, r) => {
        r.resume()
        r.on('close', () => resolve(r.statusCode ?? 0))
      })
      socket.on('error', () => {})
    })
    expect(status).toBe(400)
    expect(await s.outcomes()).toMatchObject({ bad_target: 2 })
    const lines = s
      .logText()
      .split('\n')
      .filter((l) => l.includes('refused a malformed request target'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('secret')
  })
})

const builtBundle = () =>
  existsSync(providerBundlePath()) ? readFileSync(providerBundlePath(), 'utf8') : null

describe('createServer: the provider bundle and the dev demo', () => {
  it('/provider.js is the built bundle, public, from any page (404 when the package is not built)', async () => {
    // `npm test` builds first; the mutation run's sandbox has no build.
    const bundle = builtBundle()
    const s = await start()
    const res = await http(`${s.base}/provider.js`, { headers: { origin: 'https://any.example' } })
    if (bundle === null) {
      expect(res.status).toBe(404)
      expect(JSON.parse(res.body)).toEqual({ error: 'the provider bundle is not built (npm run build)' })
      return
    }
    expect(res.status).toBe(200)
    expect(res.body).toBe(bundle)
    expect(res.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    })
  })

  it('the demo and its scripts load only on their own page; its provider carries the injected options', async () => {
    let options: { url: string; publicKey: string; token: string } | null = {
      url: 'ws://127.0.0.1:1/rpc',
      publicKey: 'BAAA',
      token: 'demo-token',
    }
    const s = await start({ extraRoutes: (app) => registerDevDemo(app, { providerOptions: () => options }) })
    const common = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    }
    for (const site of [undefined, 'same-origin', 'none']) {
      const headers: Record<string, string> = site === undefined ? {} : { 'sec-fetch-site': site }
      const page = await http(`${s.base}/demo`, { headers })
      expect(page.status, String(site)).toBe(200)
      expect(page.headers).toMatchObject({
        ...common,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy':
          "default-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
      })
      expect(page.body).toContain('<')
    }
    const app = await http(`${s.base}/demo/app.js`, {})
    expect(app.status).toBe(200)
    expect(app.headers).toMatchObject({ ...common, 'content-type': 'text/javascript; charset=utf-8' })
    const provider = await http(`${s.base}/demo/provider.js`, {})
    const bundle = builtBundle()
    if (bundle === null) expect(provider.status).toBe(404)
    else {
      expect(provider.status).toBe(200)
      expect(provider.headers).toMatchObject({ ...common, 'content-type': 'text/javascript; charset=utf-8' })
      expect(provider.body).toBe(`globalThis.walletdProviderOptions = ${JSON.stringify(options)};\n${bundle}`)
    }
    for (const path of ['/demo', '/demo/app.js', '/demo/provider.js']) {
      for (const site of ['cross-site', 'same-site']) {
        const res = await http(`${s.base}${path}`, { headers: { 'sec-fetch-site': site } })
        expect(res.status, `${path} ${site}`).toBe(403)
        expect(JSON.parse(res.body)).toEqual({ error: 'the demo loads only on its own page' })
        expect(res.headers['cache-control']).toBe('no-store')
        expect(res.body).not.toContain('demo-token')
      }
    }
    options = null
    const none = await http(`${s.base}/demo/provider.js`, {})
    expect(none.status).toBe(404)
  })
})

async function waitFor(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 5))
}
