import { getEventListeners } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { RpcError, UpstreamRpcError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { createMetrics } from '../metrics.js'
import { type CreateUpstreamParameters, createUpstream } from './createUpstream.js'

type Req = { id: unknown; method: string; params: unknown[] }
/** Answers a request: a response body (without jsonrpc/id), or undefined for no answer. */
type Script = (req: Req, socket: WebSocket) => Record<string, unknown> | undefined

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function startWsNode(script: Script) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const seen: Req[] = []
  const sockets: WebSocket[] = []
  wss.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (data) => {
      const req = JSON.parse(String(data)) as Req
      seen.push(req)
      const answer = script(req, socket)
      if (answer) socket.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, ...answer }))
    })
  })
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of wss.clients) s.terminate()
        wss.close(() => r())
      }),
  )
  const port = (wss.address() as AddressInfo).port
  return { wss, seen, sockets, url: `ws://127.0.0.1:${port}`, port }
}

async function startHttpNode(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => handler(req, body, res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  )
  const port = (server.address() as AddressInfo).port
  return { server, port, url: `http://127.0.0.1:${port}` }
}

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort() {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

const options = {
  requestTimeoutMs: 2000,
  connectTimeoutMs: 1000,
  reconnectInitialMs: 10,
  reconnectMaxMs: 50,
  httpConnections: 2,
}

function make(urls: string[], overrides: Partial<CreateUpstreamParameters> = {}) {
  const metrics = createMetrics({ defaults: false })
  const upstream = createUpstream({
    chainId: 31337,
    urls,
    log: pino({ level: 'silent' }),
    metrics,
    options,
    ...overrides,
  })
  cleanups.push(() => upstream.close())
  return { upstream, metrics }
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError)
    return err as RpcError
  }
  throw new Error('expected a rejection')
}

async function until(fn: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (fn()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const echo: Script = (req) => ({ result: { method: req.method, params: req.params } })

describe('createUpstream over WebSocket', () => {
  test('uses its own integer ids and matches concurrent answers sent out of order', async () => {
    const held: Array<{ socket: WebSocket; req: Req }> = []
    const node = await startWsNode((req, socket) => {
      held.push({ socket, req })
      if (held.length === 20) {
        for (const h of held.reverse()) {
          h.socket.send(JSON.stringify({ jsonrpc: '2.0', id: h.req.id, result: h.req.params[0] }))
        }
      }
      return undefined
    })
    const { upstream } = make([node.url])
    await upstream.ready()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => upstream.request('eth_getBalance', [`q${i}`])),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `q${i}`))
    const ids = node.seen.map((r) => r.id)
    expect(ids.every((id) => Number.isInteger(id))).toBe(true)
    expect(new Set(ids).size).toBe(20)
  })

  test('relays the node error unchanged', async () => {
    const error = { code: 3, message: 'execution reverted: nope', data: '0x08c379a0' }
    const node = await startWsNode(() => ({ error }))
    const { upstream } = make([node.url])
    const err = await rejection(upstream.request('eth_call', [{}]))
    expect(err).toBeInstanceOf(UpstreamRpcError)
    expect(toJsonRpcError(err)).toEqual(error)
  })

  test('a malformed answer is an internal error', async () => {
    const node = await startWsNode(() => ({ notResult: 1 }))
    const { upstream } = make([node.url])
    const err = await rejection(upstream.request('eth_blockNumber', []))
    expect(err.code).toBe(-32603)
  })

  test('a request the node never answers fails with 4901 reason timeout', async () => {
    const node = await startWsNode((req) =>
      req.method === 'eth_slow' ? undefined : echo(req, null as never),
    )
    const { upstream, metrics } = make([node.url], { options: { ...options, requestTimeoutMs: 50 } })
    const err = await rejection(upstream.request('eth_slow', []))
    expect(err.code).toBe(4901)
    expect(err.data).toEqual({ chainId: '0x7a69', reason: 'timeout' })
    // The connection is still usable afterwards.
    expect(await upstream.request('eth_blockNumber', [])).toEqual({ method: 'eth_blockNumber', params: [] })
    const metric = await metrics.upstreamDuration.get()
    const count = (outcome: string) =>
      metric.values.find(
        (v) => v.metricName?.endsWith('_count') && v.labels.outcome === outcome && v.labels.chain === '31337',
      )?.value
    expect(count('timeout')).toBe(1)
    expect(count('ok')).toBe(1)
  })

  test('an aborted request rejects and its late answer is ignored', async () => {
    const node = await startWsNode(() => undefined)
    const { upstream } = make([node.url])
    await upstream.ready()
    const ac = new AbortController()
    const p = upstream.request('eth_blockNumber', [], { signal: ac.signal })
    await until(() => node.seen.length === 1, 'the request to arrive')
    ac.abort()
    await expect(p).rejects.toBeInstanceOf(Error)
    node.sockets[0]!.send(JSON.stringify({ jsonrpc: '2.0', id: node.seen[0]!.id, result: '0x1' }))
  })

  test("a connection's signal gets one listener for all its requests, and aborting fails them all", async () => {
    const node = await startWsNode((req) => (req.method === 'eth_hold' ? undefined : { result: '0x1' }))
    const { upstream, metrics } = make([node.url])
    await upstream.ready()
    const conn = new AbortController()
    for (let i = 0; i < 20; i++) {
      expect(await upstream.request('eth_blockNumber', [], { signal: conn.signal })).toBe('0x1')
    }
    const held = Array.from({ length: 10 }, () => upstream.request('eth_hold', [], { signal: conn.signal }))
    await until(() => node.seen.filter((r) => r.method === 'eth_hold').length === 10, 'the held requests')
    expect(getEventListeners(conn.signal, 'abort')).toHaveLength(1)
    conn.abort()
    for (const p of held) await expect(p).rejects.toBeInstanceOf(Error)
    const metric = await metrics.upstreamDuration.get()
    const aborted = metric.values.find(
      (v) => v.metricName?.endsWith('_count') && v.labels.outcome === 'aborted',
    )?.value
    expect(aborted).toBe(10)
    // Later requests on another signal still work.
    expect(await upstream.request('eth_blockNumber', [], { signal: new AbortController().signal })).toBe(
      '0x1',
    )
  })

  test('a dropped socket rejects pending requests with 4901, then reconnects', async () => {
    const node = await startWsNode((req, socket) => {
      if (req.method === 'eth_hang') {
        setTimeout(() => socket.terminate(), 10)
        return undefined
      }
      return { result: '0x10' }
    })
    const { upstream, metrics } = make([node.url])
    await upstream.ready()
    const gauge = async () => (await metrics.upstreamConnected.get()).values[0]?.value
    expect(await gauge()).toBe(1)
    const err = await rejection(upstream.request('eth_hang', []))
    expect(err.code).toBe(4901)
    expect(err.data).toEqual({ chainId: '0x7a69', reason: 'disconnected' })
    await upstream.ready()
    expect(await upstream.request('eth_blockNumber', [])).toBe('0x10')
    expect(node.sockets.length).toBe(2)
    expect(await gauge()).toBe(1)
  })

  test('subscriptions keep delivering under the same handle after a reconnect', async () => {
    let n = 0
    const node = await startWsNode((req) => {
      if (req.method === 'eth_subscribe') return { result: `0xup${++n}` }
      if (req.method === 'eth_unsubscribe') return { result: true }
      return { result: null }
    })
    const { upstream } = make([node.url])
    const got: unknown[] = []
    const sub = await upstream.subscribe(['newHeads'], (r) => got.push(r))
    const push = (socket: WebSocket, subscription: string, result: unknown) =>
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }),
      )
    push(node.sockets[0]!, '0xup1', 'head-1')
    push(node.sockets[0]!, '0xother', 'not-ours')
    await until(() => got.length === 1, 'the first notification')

    node.sockets[0]!.terminate()
    await until(
      () => node.seen.filter((r) => r.method === 'eth_subscribe').length === 2,
      'the re-subscription',
    )
    const resub = node.seen.filter((r) => r.method === 'eth_subscribe')[1]!
    expect(resub.params).toEqual(['newHeads'])
    await until(() => upstream.status().connected, 'reconnect')
    // A round trip on the same socket: the re-subscribe answer (sent earlier) has been read.
    await upstream.request('eth_blockNumber', [])
    push(node.sockets[1]!, '0xup2', 'head-2')
    await until(() => got.length === 2, 'a notification after the reconnect')
    expect(got).toEqual(['head-1', 'head-2'])

    await sub.unsubscribe()
    await until(() => node.seen.some((r) => r.method === 'eth_unsubscribe'), 'eth_unsubscribe')
    expect(node.seen.find((r) => r.method === 'eth_unsubscribe')!.params).toEqual(['0xup2'])
    push(node.sockets[1]!, '0xup2', 'head-3')
    await upstream.request('eth_blockNumber', [])
    expect(got).toEqual(['head-1', 'head-2'])
  })

  test('a notification sent right behind the subscribe answer is delivered', async () => {
    const node = await startWsNode((req, socket) => {
      if (req.method !== 'eth_subscribe') return { result: null }
      // Both frames in the same tick: the mapping must exist before the notification is routed.
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: '0xabc' }))
      socket.send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: '0xabc', result: 1 },
        }),
      )
      return undefined
    })
    const { upstream } = make([node.url])
    const got: unknown[] = []
    await upstream.subscribe(['newHeads'], (r) => got.push(r))
    await until(() => got.length === 1, 'the notification')
    expect(got).toEqual([1])
  })

  test('ready() rejects with 4901 when the node cannot be reached', async () => {
    const port = await closedPort()
    const { upstream } = make([`ws://127.0.0.1:${port}`], { options: { ...options, connectTimeoutMs: 100 } })
    const err = await rejection(upstream.ready())
    expect(err.code).toBe(4901)
    expect((err.data as { reason: string }).reason).toBe('unreachable')
    const req = await rejection(upstream.request('eth_blockNumber', []))
    expect(req.code).toBe(4901)
  })

  test('close() rejects pending requests and stops reconnecting', async () => {
    const node = await startWsNode(() => undefined)
    const { upstream, metrics } = make([node.url])
    await upstream.ready()
    const p = upstream.request('eth_blockNumber', [])
    await until(() => node.seen.length === 1, 'the request')
    await upstream.close()
    expect((await rejection(p)).code).toBe(4901)
    expect((await metrics.upstreamConnected.get()).values[0]?.value).toBe(0)
    await new Promise((r) => setTimeout(r, 100))
    expect(node.sockets.length).toBe(1)
    expect((await rejection(upstream.request('eth_blockNumber', []))).code).toBe(4901)
  })

  test('close() does not log "upstream connection lost"; a real drop does', async () => {
    const node = await startWsNode(() => ({ result: '0x1' }))
    const lines: Array<{ level: number; msg: string; chainId?: number }> = []
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    const lost = () => lines.filter((l) => l.msg === 'upstream connection lost')

    // Clean close of an open socket, and of one still connecting.
    const { upstream: open } = make([node.url], { log })
    await open.ready()
    expect(await open.request('eth_blockNumber', [])).toBe('0x1')
    await open.close()
    const { upstream: connecting } = make([node.url], { log })
    await connecting.close()
    expect(lines.filter((l) => l.msg === 'upstream connected').length).toBeGreaterThanOrEqual(1)
    expect(lost()).toEqual([])

    // The node drops the socket: that is a real loss, logged once as a warning.
    const { upstream: dropped } = make([node.url], { log })
    await dropped.ready()
    const before = node.sockets.length
    node.sockets.at(-1)!.terminate()
    await until(() => lost().length === 1, 'the warning')
    expect(lost()[0]!.level).toBe(40)
    await until(() => node.sockets.length > before, 'the reconnect')
    await dropped.close()
    expect(lost().length).toBe(1)
  })
})

describe('createUpstream over HTTP', () => {
  test('forwards with its own id and relays results and node errors', async () => {
    const bodies: Array<{ id: unknown; method: string }> = []
    const http = await startHttpNode((_req, body, res) => {
      const req = JSON.parse(body)
      bodies.push(req)
      res.setHeader('content-type', 'application/json')
      if (req.method === 'eth_call') {
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id: req.id, error: { code: -32000, message: 'out of gas' } }),
        )
      } else res.end(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: '0x2a' }))
    })
    const { upstream } = make([http.url])
    await upstream.ready()
    expect(upstream.supportsSubscriptions).toBe(false)
    expect(await upstream.request('eth_blockNumber', [])).toBe('0x2a')
    const err = await rejection(upstream.request('eth_call', [{}, 'latest']))
    expect(toJsonRpcError(err)).toEqual({ code: -32000, message: 'out of gas' })
    expect(bodies.every((b) => b.id === 1)).toBe(true)
    expect(upstream.status()).toMatchObject({ transport: 'http', connected: true })
  })

  test('subscribe is -32004 without a WebSocket upstream', async () => {
    const http = await startHttpNode((_req, _body, res) => res.end('{}'))
    const { upstream } = make([http.url])
    const err = await rejection(upstream.subscribe(['newHeads'], () => {}))
    expect(err.code).toBe(-32004)
  })

  test('is used while the WebSocket is down', async () => {
    // An HTTP server that refuses upgrades: every WebSocket attempt fails.
    const http = await startHttpNode((req, body, res) => {
      if (req.method !== 'POST') {
        res.statusCode = 400
        res.end()
        return
      }
      res.end(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(body).id, result: 'via-http' }))
    })
    const { upstream } = make([`ws://127.0.0.1:${http.port}`, http.url])
    expect(await upstream.request('eth_blockNumber', [])).toBe('via-http')
    expect(upstream.supportsSubscriptions).toBe(true)
    expect(upstream.status().transport).toBe('http')
  })

  test('an HTTP request is cancelled when its signal aborts (the node sees it, the caller gets an error)', async () => {
    const held: ServerResponse[] = []
    const http = await startHttpNode((_req, _body, res) => held.push(res))
    const { upstream } = make([http.url])
    const ac = new AbortController()
    const p = upstream.request('eth_blockNumber', [], { signal: ac.signal })
    await until(() => held.length === 1, 'the request to arrive')
    const closed = new Promise((r) => held[0]!.once('close', r))
    ac.abort()
    await expect(p).rejects.toBeInstanceOf(Error)
    await closed
  })

  test('a timed-out HTTP request is 4901 reason timeout', async () => {
    const http = await startHttpNode(() => {})
    const { upstream } = make([http.url], { options: { ...options, requestTimeoutMs: 50 } })
    const err = await rejection(upstream.request('eth_blockNumber', []))
    expect(err.code).toBe(4901)
    expect((err.data as { reason: string }).reason).toBe('timeout')
  })

  test('credentials in the URL become a Basic header and never appear in errors or status', async () => {
    let auth: string | undefined
    const http = await startHttpNode((req, _body, res) => {
      auth = req.headers.authorization
      res.statusCode = 503
      res.end('overloaded')
    })
    const { upstream } = make([`http://alice:s3cret@127.0.0.1:${http.port}/rpc`])
    const err = await rejection(upstream.request('eth_blockNumber', []))
    expect(auth).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`)
    expect(err.code).toBe(4901)
    expect((err.data as { reason: string }).reason).toBe('unreachable')

    const port = await closedPort()
    const down = make([
      `http://alice:s3cret@127.0.0.1:${port}/rpc`,
      `ws://bob:hunter2@127.0.0.1:${port}`,
    ]).upstream
    const err2 = await rejection(down.request('eth_blockNumber', []))
    expect(err2.code).toBe(4901)
    await until(() => down.status().lastError !== null, 'a recorded error')
    for (const text of [
      err.message,
      JSON.stringify(toJsonRpcError(err)),
      err2.message,
      JSON.stringify(toJsonRpcError(err2)),
      JSON.stringify(upstream.status()),
      JSON.stringify(down.status()),
      upstream.url,
      down.url,
    ]) {
      expect(text).not.toContain('s3cret')
      expect(text).not.toContain('hunter2')
    }
  })
})
