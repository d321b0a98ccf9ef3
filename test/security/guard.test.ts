import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import { connect } from '../helpers/wsClient.js'

/** The guard runs before the upgrade: each refusal happens with no socket opened. */
let d: TestDaemon

beforeAll(async () => {
  d = await startTestDaemon({ config: { connections: { maxPerOrigin: 4, maxTotal: 6 } } })
})
afterAll(async () => {
  await d?.close()
})

/** A raw HTTP request with full control of Host and other headers. */
function rawRequest(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: d.port, path, method, headers, setHost: false, agent: false },
      (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
      },
    )
    req.on('error', reject)
    if (body) req.write(body)
    req.end()
  })
}

const upgradeHeaders = (extra: Record<string, string> = {}) => ({
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  ...extra,
})

describe('Host header (DNS rebinding)', () => {
  test.each([
    'attacker.example:PORT',
    '0.0.0.0:PORT',
    '127.0.0.1.evil.example:PORT',
    'localhost.evil.example:PORT',
    '127.0.0.1:1',
  ])('%s → 403 on every route', async (hostTemplate) => {
    const host = hostTemplate.replace('PORT', String(d.port))
    for (const path of ['/health', '/healthz', '/readyz', '/metrics', '/rpc']) {
      const res = await rawRequest(path, { host })
      expect(res.status, path).toBe(403)
    }
    const up = await rawRequest('/rpc', {
      host,
      ...upgradeHeaders({
        'sec-websocket-protocol': `walletd.v1, walletd.token.${d.token}`,
        origin: TEST_ORIGIN,
      }),
    })
    expect(up.status).toBe(403)
  })

  test.each(['127.0.0.1', 'localhost', '[::1]'])('%s:PORT is accepted', async (h) => {
    const res = await rawRequest('/healthz', { host: `${h}:${d.port}` })
    expect(res.status).toBe(200)
  })
})

describe('Origin and token', () => {
  test('a foreign origin without a token is refused before the upgrade (401)', async () => {
    await expect(connect(d.wsUrl, { origin: 'https://evil.example' })).rejects.toMatchObject({
      statusCode: 401,
    })
  })

  test('a wrong token is refused (401)', async () => {
    await expect(
      connect(d.wsUrl, { origin: TEST_ORIGIN, token: `wdt_${'A'.repeat(43)}` }),
    ).rejects.toMatchObject({ statusCode: 401 })
  })

  test.each(['null', 'file://', 'https://user@app.example', 'http://app.example', 'chrome-extension://abc'])(
    'Origin %j is refused (403)',
    async (origin) => {
      await expect(connect(d.wsUrl, { origin, token: d.token })).rejects.toMatchObject({ statusCode: 403 })
    },
  )

  test('a token in the query string is not accepted', async () => {
    await expect(connect(`${d.wsUrl}?token=${d.token}`, { origin: TEST_ORIGIN })).rejects.toMatchObject({
      statusCode: 401,
    })
  })

  test('the token entry is never echoed as the subprotocol', async () => {
    const c = await d.connect()
    expect(c.socket.protocol).toBe('walletd.v1')
    await c.close()
  })

  test('a Bearer token without Origin gets the token session', async () => {
    const c = await connect(d.wsUrl, { token: d.token, via: 'bearer' })
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
    await c.close()
  })

  test('a revoked token is refused, and its open connections are closed at once', async () => {
    const { token } = d.daemon.tokens.create('short-lived')
    const c = await connect(d.wsUrl, { origin: TEST_ORIGIN, token })
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
    d.daemon.tokens.revoke('short-lived')
    const { code } = await c.closed
    expect(code).toBe(1008)
    await expect(connect(d.wsUrl, { origin: TEST_ORIGIN, token })).rejects.toMatchObject({ statusCode: 401 })
  })

  test('a token bound to one origin does not speak for another', async () => {
    const { token } = d.daemon.tokens.create('bound', { origins: ['https://a.example'] })
    const ok = await connect(d.wsUrl, { origin: 'https://a.example', token })
    await ok.close()
    await expect(connect(d.wsUrl, { origin: 'https://b.example', token })).rejects.toMatchObject({
      statusCode: 401,
    })
  })

  test('HTTP POST /rpc needs the token too; cookies are no credential', async () => {
    const res = await d.post(
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { token: null, origin: TEST_ORIGIN },
    )
    expect(res.status).toBe(401)
    const withCookie = await rawRequest(
      '/rpc',
      { host: `127.0.0.1:${d.port}`, cookie: `token=${d.token}`, 'content-type': 'application/json' },
      'POST',
      '{}',
    )
    expect(withCookie.status).toBe(401)
  })

  test('a cross-site text/plain POST is refused (415) even with a token', async () => {
    const res = await rawRequest(
      '/rpc',
      { host: `127.0.0.1:${d.port}`, authorization: `Bearer ${d.token}`, 'content-type': 'text/plain' },
      'POST',
      '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
    )
    expect(res.status).toBe(415)
  })

  test('health and metrics refuse cross-origin callers and grant no CORS', async () => {
    for (const path of ['/health', '/metrics']) {
      const res = await rawRequest(path, { host: `127.0.0.1:${d.port}`, origin: 'https://evil.example' })
      expect(res.status).toBe(403)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    }
    const pre = await rawRequest(
      '/rpc',
      {
        host: `127.0.0.1:${d.port}`,
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
      },
      'OPTIONS',
    )
    expect(pre.status).toBeGreaterThanOrEqual(400)
    expect(pre.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('connection caps', () => {
  test('per-origin cap refuses the next upgrade with 429; other origins still connect', async () => {
    const open = await Promise.all(
      Array.from({ length: 4 }, () => d.connect({ origin: 'https://cap.example' })),
    )
    await expect(d.connect({ origin: 'https://cap.example' })).rejects.toMatchObject({ statusCode: 429 })
    const other = await d.connect({ origin: 'https://other.example' })
    expect((await other.call('eth_chainId')).result).toBe('0x7a69')
    await other.close()
    await Promise.all(open.map((c) => c.close()))
    const again = await d.connect({ origin: 'https://cap.example' })
    await again.close()
  })

  test('the global cap holds across origins', async () => {
    const open = await Promise.all(
      Array.from({ length: 6 }, (_, i) => d.connect({ origin: `https://g${i}.example` })),
    )
    await expect(d.connect({ origin: 'https://g-last.example' })).rejects.toMatchObject({ statusCode: 429 })
    await Promise.all(open.map((c) => c.close()))
  })

  test('permessage-deflate is not negotiated', async () => {
    const ws = new WebSocket(d.wsUrl, ['walletd.v1', `walletd.token.${d.token}`], {
      headers: { origin: TEST_ORIGIN },
      perMessageDeflate: true,
    })
    await new Promise((r) => ws.once('open', r))
    expect(ws.extensions).toBe('')
    ws.close()
  })
})
