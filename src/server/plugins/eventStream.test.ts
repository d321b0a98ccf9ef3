import { request } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { Services } from '../../rpc/services.js'
import type {
  ConnectionHandle,
  ConnectionLayer,
  ConnectionSink,
  OpenConnectionOptions,
} from '../createConnectionLayer.js'
import { createStreamRegistry, registerEventStream } from './eventStream.js'
import type { Caller } from './guard.js'

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** The event stream route alone, over a fake layer that records what it was given. */
async function start(opts: { refuse?: boolean; caller?: Caller } = {}) {
  const opened: OpenConnectionOptions[] = []
  let closedWith: number | undefined
  const layer = {
    open(o: OpenConnectionOptions) {
      opened.push(o)
      if (opts.refuse) return null
      return {
        conn: {},
        authenticated: true,
        receive() {},
        request: async () => null,
        closed: (code: number) => {
          closedWith = code
        },
      } as unknown as ConnectionHandle
    },
  } as unknown as ConnectionLayer
  const streams = createStreamRegistry()
  const app = Fastify()
  app.decorateRequest('caller', null)
  app.addHook('onRequest', async (req) => {
    req.caller = opts.caller ?? { origin: 'token:host', tokenName: 'host' }
  })
  registerEventStream(app, {
    services: { config: { server: { heartbeatMs: 60_000 } } } as unknown as Services,
    layer,
    streams,
    authenticatorFor: () => ({
      hello: '{"hello":true}',
      verify: () => ({ ok: false, reason: '', answer: '' }),
    }),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  apps.push(app)
  const port = (app.server.address() as { port: number }).port
  return { port, opened, streams, closedWith: () => closedWith }
}

/** GET /events, read to its end (or until the connection drops). */
function read(port: number) {
  return new Promise<{ status: number; body: string; ended: boolean }>((resolve) => {
    let body = ''
    const req = request({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ended: true }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, ended: false }))
    })
    req.on('error', () => resolve({ status: 0, body, ended: false }))
    req.end()
  })
}

describe('registerEventStream', () => {
  it('a stream the layer refuses ends at once, and is not registered', async () => {
    const s = await start({ refuse: true })
    const res = await read(s.port)
    expect(res.ended).toBe(true)
    expect(s.opened).toHaveLength(1)
    expect(s.streams.size).toBe(0)
  })

  it('the sink: writes are events, close sends one close event and ends, nothing after', async () => {
    const s = await start()
    const done = read(s.port)
    while (s.opened.length === 0) await new Promise((r) => setImmediate(r))
    const sink: ConnectionSink = s.opened[0]!.sink
    expect(s.opened[0]).toMatchObject({
      transport: 'sse',
      origin: 'token:host',
      tokenName: 'host',
      pushes: true,
    })
    expect(s.opened[0]!.authenticator).toBeUndefined()
    expect(sink.buffered()).toBe(0)
    sink.write('{"a":1}')
    sink.close(1008, 'bye')
    sink.close(1000, 'again')
    sink.write('{"late":1}')
    const res = await done
    const id = [...res.body.matchAll(/"stream":"([^"]+)"/g)].map((m) => m[1])
    expect(id).toHaveLength(1)
    expect(res.body).toBe(
      `data: ${JSON.stringify({ jsonrpc: '2.0', method: 'walletd_stream', params: [{ stream: id[0] }] })}\n\n` +
        'data: {"a":1}\n\nevent: close\ndata: {"code":1008,"reason":"bye"}\n\n',
    )
    while (s.closedWith() === undefined) await new Promise((r) => setImmediate(r))
    expect(s.closedWith()).toBe(1006)
    expect(s.streams.size).toBe(0)
  })

  it('terminate drops the stream without a close event', async () => {
    const s = await start()
    const done = read(s.port)
    while (s.opened.length === 0) await new Promise((r) => setImmediate(r))
    const sink = s.opened[0]!.sink
    sink.terminate()
    sink.write('{"late":1}')
    const res = await done
    expect(res.body).not.toContain('event: close')
    expect(res.body).not.toContain('late')
  })

  it('a stream without a token gets the authenticator (with its id) and no walletd_stream event', async () => {
    const s = await start({ caller: { origin: 'https://a.example', tokenName: null, clientNonce: 'n' } })
    const done = read(s.port)
    while (s.opened.length === 0) await new Promise((r) => setImmediate(r))
    s.opened[0]!.sink.close(1001, 'x')
    const res = await done
    expect(res.body).toBe('event: close\ndata: {"code":1001,"reason":"x"}\n\n')
    expect(s.opened[0]).toMatchObject({ tokenName: null, authenticator: expect.anything() })
  })
})
