import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../rpc/services.js'
import { corsHeaders } from '../cors.js'
import type { Authenticator, ConnectionHandle, ConnectionLayer } from '../createConnectionLayer.js'
import type { Caller } from './guard.js'

/** Open event streams by id: `POST /rpc` naming one (X-Walletd-Stream) runs on its connection. */
export type StreamRegistry = Map<
  string,
  {
    handle: ConnectionHandle
    /** The stream's Origin (normalised), or null when it had none: its requests must match. */
    originHeader: string | null
    /** Opened with a token (Bearer): its requests must present the same token. */
    viaToken: boolean
  }
>

export const createStreamRegistry = (): StreamRegistry => new Map()

/**
 * `GET /events`: a server-sent-events stream, a connection of its own for clients that cannot use a
 * WebSocket (the provider's HTTP fallback). Every walletd push is one `data:` event carrying the
 * JSON-RPC notification. A page opens it without a token (`?nonce=`): its first event is the signed
 * hello with the stream's id, and it proves its token by `POST /rpc` with that id. A client with a
 * Bearer token gets `walletd_stream` with the id first. Requests then go as `POST /rpc` with
 * `X-Walletd-Stream: <id>` and run on the stream's connection (its subscriptions, its budgets).
 * A comment line every `server.heartbeatMs` keeps the stream alive and finds dead peers.
 */
export function registerEventStream(
  app: FastifyInstance,
  {
    services,
    layer,
    streams,
    authenticatorFor,
  }: {
    services: Services
    layer: ConnectionLayer
    streams: StreamRegistry
    authenticatorFor: (caller: Caller, host: string, extra: Record<string, string>) => Authenticator
  },
) {
  app.get('/events', (req, reply) => {
    const caller = req.caller!
    const originHeader = req.headers.origin === undefined ? null : caller.origin
    const id = randomBytes(24).toString('base64url')
    reply.hijack()
    const res = reply.raw
    // A stream outlives the HTTP timeouts: the heartbeat finds dead peers instead.
    req.raw.socket.setTimeout(0)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(originHeader === null ? {} : corsHeaders(req.headers.origin as string)),
    })
    let ended = false
    const event = (text: string) => {
      if (!ended) res.write(`data: ${text}\n\n`)
    }
    if (caller.tokenName !== null) {
      event(JSON.stringify({ jsonrpc: '2.0', method: 'walletd_stream', params: [{ stream: id }] }))
    }
    const handle = layer.open({
      transport: 'sse',
      origin: caller.origin,
      tokenName: caller.tokenName,
      ...(caller.tokenName === null
        ? { authenticator: authenticatorFor(caller, req.headers.host ?? '', { stream: id }) }
        : {}),
      pushes: true,
      sink: {
        write: event,
        buffered: () => res.writableLength,
        close(code, reason) {
          if (ended) return
          res.write(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`)
          ended = true
          res.end()
        },
        terminate: () => {
          ended = true
          res.destroy()
        },
      },
    })
    if (!handle) {
      ended = true
      res.end()
      return
    }
    streams.set(id, { handle, originHeader, viaToken: caller.tokenName !== null })
    const heartbeat = setInterval(() => {
      if (!ended) res.write(': ping\n\n')
    }, services.config.server.heartbeatMs)
    heartbeat.unref()
    res.on('close', () => {
      ended = true
      clearInterval(heartbeat)
      streams.delete(id)
      handle.closed(1006)
    })
  })
}
