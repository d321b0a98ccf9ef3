import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeClock } from '../../../test/helpers/fakeClock.js'
import { createLogSink } from '../../../test/helpers/logSink.js'
import { createMetrics } from '../../metrics.js'
import { createConnectionRegistry } from '../createConnectionRegistry.js'
import { createTokenStore } from '../createTokenStore.js'
import { PROTOCOL, presentedToken, registerGuard, selectProtocol } from './guard.js'

const PORT = 4567
const HOST = `127.0.0.1:${PORT}`
const ORIGIN = 'https://app.example'
const NONCE = 'n'.repeat(22)

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn()
})

async function setup(over: { maxTotal?: number; maxUnauthenticated?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'walletd-guard-'))
  const clock = fakeClock(1_000_000)
  const tokens = createTokenStore({ file: join(dir, 'tokens.json'), now: clock.now })
  const cli = tokens.create('cli').token
  const bound = tokens.create('bound', { origins: [ORIGIN] }).token
  const url = tokens.create('urltok', { url: true }).token
  const connections = createConnectionRegistry()
  const metrics = createMetrics({ defaults: false })
  const sink = createLogSink('debug')
  const app: FastifyInstance = Fastify()
  registerGuard(app, {
    port: () => PORT,
    tokens,
    connections,
    metrics,
    limits: {
      maxTotal: over.maxTotal ?? 10,
      maxPerToken: 10,
      maxPerDomain: 10,
      maxPerOrigin: 10,
      maxUnauthenticated: over.maxUnauthenticated ?? 2,
    },
    log: sink.logger,
    now: clock.now,
    logQuietMs: 10_000,
    authBudget: { burst: 2, perSecond: 0.5 },
  })
  const echo = async (req: { caller: unknown }) => ({ caller: req.caller })
  app.get('/rpc', echo)
  app.post('/rpc', echo)
  app.options('/rpc', echo)
  app.get('/rpc/:token', echo)
  app.get('/events', echo)
  app.get('/provider.js', echo)
  app.get('/health', echo)
  await app.ready()
  cleanup.push(
    () => app.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  )
  const outcomes = async () =>
    Object.fromEntries(
      (await metrics.connectionsTotal.get()).values.map((v) => [String(v.labels.outcome), v.value]),
    )
  const req = (method: 'GET' | 'POST' | 'OPTIONS', target: string, headers: Record<string, string> = {}) =>
    app.inject({ method, url: target, headers: { host: HOST, ...headers } })
  return { app, tokens, cli, bound, url, connections, metrics, sink, clock, outcomes, req }
}

describe('registerGuard', () => {
  it('refuses any Host but the loopback host and bound port (403), on every route', async () => {
    const g = await setup()
    for (const host of ['evil.example', `127.0.0.1:${PORT + 1}`, `evil.example:${PORT}`]) {
      const res = await g.app.inject({ method: 'GET', url: '/provider.js', headers: { host } })
      expect(res.statusCode, host).toBe(403)
      expect(res.json()).toEqual({ error: 'forbidden host' })
      expect(res.headers['cache-control']).toBe('no-store')
    }
    expect((await g.req('GET', '/provider.js')).statusCode).toBe(200)
    expect(await g.outcomes()).toEqual({ bad_host: 3 })
  })

  it('400 for a malformed target (logged once per burst), 404 for an unknown path', async () => {
    const g = await setup()
    for (const target of ['/rpc//health', '/%72pc']) {
      const res = await g.req('GET', target)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({ error: 'bad request target' })
    }
    expect(g.sink.lines.filter((l) => l.includes('refused a malformed request target'))).toHaveLength(2)
    expect(g.sink.text()).toContain('double-slash')
    expect((await g.req('GET', '/%72pc')).statusCode).toBe(400)
    expect(g.sink.lines.filter((l) => l.includes('refused a malformed request target'))).toHaveLength(2)
    expect(await g.outcomes()).toEqual({ bad_target: 3 })
    const res = await g.req('GET', '/nope')
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not found' })
  })

  it('the provider bundle is public; health refuses web pages', async () => {
    const g = await setup()
    expect((await g.req('GET', '/provider.js', { origin: 'https://any.example' })).statusCode).toBe(200)
    const page = await g.req('GET', '/health', { origin: ORIGIN })
    expect(page.statusCode).toBe(403)
    expect(page.json()).toEqual({ error: 'cross-origin requests are not allowed' })
    expect((await g.req('GET', '/health')).statusCode).toBe(200)
  })

  it('a host token (Bearer or subprotocol entry) admits; the session is the Origin, else token:<name>', async () => {
    const g = await setup()
    const bearer = await g.req('POST', '/rpc', { authorization: `Bearer ${g.cli}` })
    expect(bearer.json()).toEqual({ caller: { origin: 'token:cli', tokenName: 'cli' } })
    const page = await g.req('POST', '/rpc', {
      authorization: `Bearer ${g.cli}`,
      origin: 'HTTPS://App.Example',
    })
    expect(page.json()).toEqual({ caller: { origin: ORIGIN, tokenName: 'cli' } })
    const ws = await g.req('GET', '/rpc', {
      upgrade: 'websocket',
      'sec-websocket-protocol': `${PROTOCOL}, walletd.token.${g.cli}`,
    })
    expect(ws.json()).toEqual({ caller: { origin: 'token:cli', tokenName: 'cli' } })
    // An origin-bound token only for its origin.
    expect(
      (await g.req('POST', '/rpc', { authorization: `Bearer ${g.bound}`, origin: ORIGIN })).statusCode,
    ).toBe(200)
    expect((await g.req('POST', '/rpc', { authorization: `Bearer ${g.bound}` })).statusCode).toBe(401)
  })

  it('401 without a valid token, then 429 with retry-after once the failure budget is spent', async () => {
    const g = await setup()
    const wrong = `wdt_${'A'.repeat(43)}`
    for (let i = 0; i < 2; i++) {
      const res = await g.req('POST', '/rpc', { authorization: `Bearer ${wrong}` })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'a valid host token is required' })
    }
    const throttled = await g.req('POST', '/rpc', { authorization: `Bearer ${wrong}` })
    expect(throttled.statusCode).toBe(429)
    expect(throttled.headers['retry-after']).toBe('2')
    expect(throttled.json()).toEqual({ error: 'too many failed authentications; retry later' })
    // A valid token still passes while throttled.
    expect((await g.req('POST', '/rpc', { authorization: `Bearer ${g.cli}` })).statusCode).toBe(200)
    expect(await g.outcomes()).toEqual({ unauthorized: 2, auth_throttled: 1 })
  })

  it('403 for an Origin that does not normalise', async () => {
    const g = await setup()
    const res = await g.req('POST', '/rpc', {
      authorization: `Bearer ${g.cli}`,
      origin: 'http://app.example',
    })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toEqual({ error: 'forbidden origin' })
    expect(await g.outcomes()).toEqual({ bad_origin: 1 })
  })

  it("a page's preflight on /rpc passes to the route; without an Origin it needs a token", async () => {
    const g = await setup()
    const preflight = { 'access-control-request-method': 'POST' }
    const page = await g.req('OPTIONS', '/rpc', { ...preflight, origin: ORIGIN })
    expect(page.json()).toEqual({ caller: null })
    expect((await g.req('OPTIONS', '/rpc', preflight)).statusCode).toBe(401)
    expect((await g.req('OPTIONS', '/rpc', { origin: ORIGIN })).statusCode).toBe(401)
  })

  it('a POST naming an event stream is left to the stream (no token here)', async () => {
    const g = await setup()
    expect((await g.req('POST', '/rpc', { origin: ORIGIN, 'x-walletd-stream': 's1' })).json()).toEqual({
      caller: { origin: ORIGIN, tokenName: null },
    })
    expect((await g.req('POST', '/rpc', { 'x-walletd-stream': 's1' })).json()).toEqual({
      caller: { origin: 'stream', tokenName: null },
    })
    // A GET with the header is no stream request.
    expect((await g.req('GET', '/rpc', { origin: ORIGIN, 'x-walletd-stream': 's1' })).statusCode).toBe(401)
  })

  it('a handshake (upgrade or event stream with a nonce and an Origin) is admitted without a token, capped', async () => {
    const g = await setup()
    const upgrade = {
      origin: ORIGIN,
      upgrade: 'websocket',
      'sec-websocket-protocol': `${PROTOCOL}, walletd.nonce.${NONCE}`,
    }
    expect((await g.req('GET', '/rpc', upgrade)).json()).toEqual({
      caller: { origin: ORIGIN, tokenName: null, clientNonce: NONCE },
    })
    expect((await g.req('GET', `/events?nonce=${NONCE}`, { origin: ORIGIN })).json()).toEqual({
      caller: { origin: ORIGIN, tokenName: null, clientNonce: NONCE },
    })
    // No Origin: no handshake. A plain GET /rpc with a nonce is neither an upgrade nor a stream.
    expect((await g.req('GET', `/events?nonce=${NONCE}`)).statusCode).toBe(401)
    const plain = await g.req('GET', `/rpc?nonce=${NONCE}`, { origin: ORIGIN })
    expect(plain.statusCode).toBe(401)
    expect(plain.json()).toEqual({ error: 'a valid host token is required' })
    g.connections.addPending()
    expect((await g.req('GET', '/rpc', upgrade)).statusCode).toBe(200)
    g.connections.addPending()
    const capped = await g.req('GET', '/rpc', upgrade)
    expect(capped.statusCode).toBe(429)
    expect(capped.json()).toEqual({ error: 'too many connections authenticating' })
    expect(await g.outcomes()).toEqual({ unauthorized: 2, cap_unauthenticated: 1 })
  })

  it('connection caps apply to upgrades and event streams, not to plain requests', async () => {
    const g = await setup({ maxTotal: 0 })
    const auth = { authorization: `Bearer ${g.cli}` }
    const ws = await g.req('GET', '/rpc', { ...auth, upgrade: 'websocket' })
    expect(ws.statusCode).toBe(429)
    expect(ws.json()).toEqual({ error: 'too many connections' })
    expect((await g.req('GET', '/events', auth)).statusCode).toBe(429)
    expect((await g.req('GET', '/events?x=1', auth)).statusCode).toBe(429)
    expect((await g.req('POST', '/rpc', auth)).statusCode).toBe(200)
    expect((await g.req('GET', '/rpc', auth)).statusCode).toBe(200)
    expect(await g.outcomes()).toEqual({ cap_total: 3 })
  })

  it('/rpc/<token>: only url tokens, only without an Origin', async () => {
    const g = await setup()
    expect((await g.req('GET', `/rpc/${g.url}`)).json()).toEqual({
      caller: { origin: 'token:urltok', tokenName: 'urltok' },
    })
    const page = await g.req('GET', `/rpc/${g.url}`, { origin: ORIGIN })
    expect(page.statusCode).toBe(403)
    expect(page.json()).toEqual({ error: 'a token URL is not accepted from a web page' })
    const header = await g.req('GET', `/rpc/${g.cli}`)
    expect(header.statusCode).toBe(401)
    expect(header.json()).toEqual({ error: 'a valid token URL is required' })
    expect((await g.req('GET', `/rpc/wdt_${'B'.repeat(43)}`)).statusCode).toBe(401)
    const throttled = await g.req('GET', `/rpc/wdt_${'B'.repeat(43)}`)
    expect(throttled.statusCode).toBe(429)
    expect(throttled.json()).toEqual({ error: 'too many failed authentications; retry later' })
    expect(await g.outcomes()).toEqual({ bad_origin: 1, unauthorized: 2, auth_throttled: 1 })
  })
})

describe('presentedToken / selectProtocol', () => {
  const r = (headers: Record<string, string>) => ({ headers }) as never
  it('reads a Bearer token (trimmed) or a walletd.token entry beside walletd.v1, nothing else', () => {
    expect(presentedToken(r({ authorization: 'Bearer  abc ' }))).toBe('abc')
    expect(presentedToken(r({ authorization: 'Basic abc' }))).toBeUndefined()
    expect(presentedToken(r({ 'sec-websocket-protocol': 'walletd.v1,walletd.token.xyz' }))).toBe('xyz')
    expect(presentedToken(r({ 'sec-websocket-protocol': 'walletd.token.xyz' }))).toBeUndefined()
    expect(presentedToken(r({ 'sec-websocket-protocol': 'walletd.v1' }))).toBeUndefined()
    expect(
      presentedToken(r({ 'sec-websocket-protocol': `walletd.v1, walletd.token.${'x'.repeat(500)}` })),
    ).toBeUndefined()
    expect(presentedToken(r({}))).toBeUndefined()
  })

  it('echoes only walletd.v1', () => {
    expect(selectProtocol(new Set(['walletd.token.x', PROTOCOL]))).toBe(PROTOCOL)
    expect(selectProtocol(new Set(['walletd.token.x']))).toBe(false)
  })
})
