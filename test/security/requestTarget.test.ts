import { connect as netConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The request target is parsed once (src/server/requestTarget.ts), and the guard and the router
 * act on that one reading: a target that is not exactly a known route (percent-encoded, with a
 * fragment, in absolute form, with `//`, dot segments, `;`, a trailing slash …) is refused before
 * any handler runs. Before, `/%72pc`, `/rpc#x` and `POST http://127.0.0.1:P/rpc` reached the `/rpc`
 * handlers without the token check (WS 101, POST 500 with a stack trace in the log). Raw sockets, so
 * the exact request line is what the daemon reads.
 */
let d: TestDaemon

beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.close()
})

/** Sends `head` (+ body) on a raw socket; resolves with the status code of the first response. */
function raw(
  requestLine: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(d.port, '127.0.0.1')
    let text = ''
    const done = () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
      socket.destroy()
      if (m) resolve({ status: Number(m[1]), text })
      else reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`))
    }
    socket.on('data', (c) => {
      text += c
      const end = text.indexOf('\r\n\r\n')
      if (end === -1) return
      // A response with a body: wait for it (small JSON bodies only).
      const len = /content-length: (\d+)/i.exec(text.slice(0, end))
      if (len && text.length < end + 4 + Number(len[1])) return
      done()
    })
    socket.on('end', done)
    socket.on('error', reject)
    const lines = [`${requestLine} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
    if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`)
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
  })
}

const host = () => `127.0.0.1:${d.port}`
const upgrade = (extra: Record<string, string> = {}) => ({
  host: host(),
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-protocol': 'walletd.v1',
  origin: 'https://evil.example',
  ...extra,
})
const post = (extra: Record<string, string> = {}) => ({
  host: host(),
  'content-type': 'application/json',
  ...extra,
})
const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })

/** Request targets that name /rpc (or health) in some other spelling. */
const SPELLINGS = [
  '/%72pc',
  '/%72%70%63',
  '/rpc#x',
  '/rpc%23x',
  'http://PORT/rpc',
  'HTTP://PORT/rpc',
  '//rpc',
  '/./rpc',
  '/x/../rpc',
  '/health/../rpc',
  '/rpc/',
  '/rpc/.',
  '/RPC',
  '/rpc;x',
  '/%2frpc',
  '/rpc%00',
  '*',
  '/%68ealth',
  '/health/',
  '/%zz',
  '/rpc%',
  '/rpc\\',
]

describe('non-canonical request targets are refused before any handler', () => {
  test.each(SPELLINGS)('upgrade %s without a token → 400/404, never 101', async (spelling) => {
    const target = spelling.replace('PORT', host())
    const res = await raw(`GET ${target}`, upgrade())
    expect([400, 404]).toContain(res.status)
    expect(res.text).not.toContain('Upgrade: websocket')
  })

  test.each(SPELLINGS)('POST %s without a token → 400/404, never 500 or 200', async (spelling) => {
    const target = spelling.replace('PORT', host())
    const res = await raw(`POST ${target}`, post(), BODY)
    expect([400, 404]).toContain(res.status)
    expect(res.text).not.toContain('0x7a69')
  })

  test.each(SPELLINGS)('%s is refused with a valid token too (one spelling per route)', async (spelling) => {
    const target = spelling.replace('PORT', host())
    const res = await raw(`POST ${target}`, post({ authorization: `Bearer ${d.token}` }), BODY)
    expect([400, 404]).toContain(res.status)
    expect(res.text).not.toContain('0x7a69')
  })

  test.each(['/%zz', '/%72pc', 'http://PORT/rpc', '/nope'])(
    'a refused upgrade to %s: the daemon closes the socket itself',
    async (spelling) => {
      const socket = netConnect(d.port, '127.0.0.1')
      let text = ''
      socket.on('data', (c) => (text += c))
      const closed = new Promise<void>((r) => socket.once('close', () => r()))
      socket.on('end', () => socket.end())
      const headers = Object.entries(upgrade()).map(([k, v]) => `${k}: ${v}`)
      socket.write(`GET ${spelling.replace('PORT', host())} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`)
      await closed
      expect(text).toMatch(/^HTTP\/1\.1 40[04]/)
      expect(text).not.toContain('%zz')
    },
  )

  test('the canonical targets still work: /rpc (with a query) and /health', async () => {
    const ok = await raw('POST /rpc', post({ authorization: `Bearer ${d.token}` }), BODY)
    expect(ok.status).toBe(200)
    expect(ok.text).toContain('0x7a69')
    for (const query of ['x=1', 'a=%zz', '']) {
      const q = await raw(`POST /rpc?${query}`, post({ authorization: `Bearer ${d.token}` }), BODY)
      expect(q.status, query).toBe(200)
    }
    expect((await raw('POST /rpc', post(), BODY)).status).toBe(401)
    expect((await raw('GET /healthz', { host: host() })).status).toBe(200)
    const up = await raw(
      'GET /rpc',
      upgrade({ 'sec-websocket-protocol': `walletd.v1, walletd.token.${d.token}` }),
    )
    expect(up.status).toBe(101)
  })

  test('an unknown canonical path is 404; a malformed target 400; the log stays small and has no stack', async () => {
    expect((await raw('GET /nope', { host: host() })).status).toBe(404)
    expect((await raw('GET /%72pc', { host: host() })).status).toBe(400)
    const before = d.logText().split('\n').length
    for (let i = 0; i < 200; i++) {
      const res = await raw(`POST /%72pc?i=${i}`, post(), BODY)
      expect(res.status).toBe(400)
    }
    const lines = d.logText().split('\n').slice(before).filter(Boolean)
    expect(lines.length).toBeLessThan(10)
    expect(lines.join('\n')).not.toMatch(/"stack"|\n\s+at |\.ts:\d+/)
    const metrics = await (await fetch(`${d.baseUrl}/metrics`)).text()
    expect(metrics).toMatch(/walletd_connections_total\{outcome="bad_target"\} \d{3}/)
  })
})
