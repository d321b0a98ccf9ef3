import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * HTTP timeouts fire within a second of their setting (before, node's connection check ran every
 * 30 s: a 5 s header timeout fired at 14 s, a 10 s body timeout at 30 s, idle sockets were reaped
 * every ~30 s). Small settings, raw sockets; each test asserts the socket was answered 408 and/or
 * closed by the daemon, and — as the behaviour the issue defines — no later than the setting + 1 s.
 */
const HEADERS_MS = 400
const REQUEST_MS = 800
const KEEP_ALIVE_MS = 1500
let d: TestDaemon

beforeAll(async () => {
  d = await startTestDaemon({
    config: {
      server: {
        headersTimeoutMs: HEADERS_MS,
        requestTimeoutMs: REQUEST_MS,
        keepAliveTimeoutMs: KEEP_ALIVE_MS,
      },
    },
  })
})
afterAll(async () => {
  await d?.close()
})

type Watched = { socket: Socket; text: () => string; closedAfter: Promise<number> }

/** A raw socket that records what the daemon sends and when the daemon closes it. */
function open(): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(d.port, '127.0.0.1')
    let text = ''
    socket.on('data', (c) => (text += c))
    socket.on('error', () => {})
    socket.once('connect', () => {
      const start = performance.now()
      const closedAfter = new Promise<number>((r) => socket.once('close', () => r(performance.now() - start)))
      socket.on('end', () => socket.end())
      resolve({ socket, text: () => text, closedAfter })
    })
    socket.once('error', reject)
  })
}

/** Writes `chunks` one every `everyMs` until the socket closes (a slowloris client). */
function dribble(socket: Socket, chunks: string[], everyMs: number) {
  let i = 0
  const timer = setInterval(() => {
    if (socket.destroyed || i >= chunks.length) return clearInterval(timer)
    socket.write(chunks[i++]!)
  }, everyMs)
  socket.once('close', () => clearInterval(timer))
}

const within = (settingMs: number) => settingMs + 1000

describe('HTTP timeouts fire within a second of their setting', () => {
  test('slow headers (slowloris): 408 and closed at server.headersTimeoutMs', async () => {
    const w = await open()
    w.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n`)
    dribble(
      w.socket,
      Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: 1\r\n`),
      50,
    )
    const after = await w.closedAfter
    expect(w.text()).toMatch(/^HTTP\/1\.1 408/)
    expect(after).toBeLessThan(within(HEADERS_MS))
  })

  test('a socket that sends nothing is closed at server.headersTimeoutMs', async () => {
    const w = await open()
    const after = await w.closedAfter
    expect(w.text()).not.toContain('200 OK')
    expect(after).toBeLessThan(within(HEADERS_MS))
  })

  test('a slow body: 408 and closed at server.requestTimeoutMs', async () => {
    const w = await open()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })
    w.socket.write(
      [
        'POST /rpc HTTP/1.1',
        `Host: 127.0.0.1:${d.port}`,
        `Authorization: Bearer ${d.token}`,
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        '',
        '',
      ].join('\r\n'),
    )
    dribble(w.socket, [...body], 100)
    const after = await w.closedAfter
    expect(w.text()).toMatch(/^HTTP\/1\.1 408/)
    expect(w.text()).not.toContain('0x7a69')
    expect(after).toBeLessThan(within(REQUEST_MS))
  })

  test('an idle keep-alive socket is closed at server.keepAliveTimeoutMs', async () => {
    const w = await open()
    w.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: keep-alive\r\n\r\n`)
    // The response arrives, then the socket idles.
    for (let i = 0; i < 200 && !w.text().includes('\r\n\r\n'); i++)
      await new Promise((r) => setTimeout(r, 10))
    const answeredAt = performance.now()
    expect(w.text()).toMatch(/^HTTP\/1\.1 200/)
    await w.closedAfter
    expect(performance.now() - answeredAt).toBeLessThan(within(KEEP_ALIVE_MS))
  })

  test('a request within the limits is answered', async () => {
    const res = await d.post({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })
    expect(res.body.result).toBe('0x7a69')
  })
})
