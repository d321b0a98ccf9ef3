import { setMaxListeners } from 'node:events'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../../rpc/services.js'
import { corsHeaders, preflightAllowed, STREAM_HEADER } from '../cors.js'
import type { ConnectionLayer } from '../createConnectionLayer.js'
import type { StreamRegistry } from './eventStream.js'

/**
 * `POST /rpc`: the same pipeline over HTTP (fallback transport; Node clients with a Bearer token,
 * viem's http transport, cast --rpc-headers). JSON bodies only (a `text/plain` cross-site POST is
 * refused with 415); the body is read as text so the depth guard runs before JSON.parse. Each
 * request is its own short-lived connection of the connection layer, whose frame budget is then
 * per origin, unless it names an event stream (`X-Walletd-Stream`): then it runs on the stream's
 * connection, and a page gets CORS headers for it (the provider's HTTP fallback).
 */
export function registerRpcHttp(
  app: FastifyInstance,
  { services, layer, streams }: { services: Services; layer: ConnectionLayer; streams: StreamRegistry },
) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: services.config.server.maxPayloadBytes },
    (_req, body, done) => done(null, body),
  )

  /**
   * One abort signal per TCP socket, aborted when the socket closes: an HTTP/1.1 client that goes
   * away before its answer closes the socket, and every request on it is then abandoned (the
   * upstream request is cancelled). A keep-alive socket reuses its signal for each POST.
   */
  const socketSignals = new WeakMap<Socket, AbortSignal>()
  const signalOf = (socket: Socket): AbortSignal => {
    let signal = socketSignals.get(socket)
    if (signal === undefined) {
      const abort = new AbortController()
      // One listener per request waiting on it (HTTP/1.1: one at a time, a few when pipelined).
      setMaxListeners(0, abort.signal)
      signal = abort.signal
      socketSignals.set(socket, signal)
      socket.once('close', () => abort.abort(new Error('client went away')))
    }
    return signal
  }

  const onPost = async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!
    const signal = signalOf(req.raw.socket)
    const body = String(req.body ?? '')
    let out: string | null
    const streamId = req.headers[STREAM_HEADER]
    if (streamId !== undefined) {
      // A request on an event stream: only from the stream's own origin (or, like it, from none).
      const stream = typeof streamId === 'string' ? streams.get(streamId) : undefined
      const originHeader = req.headers.origin === undefined ? null : caller.origin
      if (
        !stream ||
        stream.originHeader !== originHeader ||
        (stream.viaToken && caller.tokenName !== stream.handle.conn.tokenName)
      )
        return reply.code(401).header('cache-control', 'no-store').send({ error: 'unknown event stream' })
      if (originHeader !== null) reply.headers(corsHeaders(req.headers.origin as string))
      out = await stream.handle.request(body, signal)
    } else out = await layer.requestOnce(caller, body, signal)
    reply.header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8')
    if (out === null) return reply.code(204).send()
    return reply.send(out)
  }
  app.post('/rpc', onPost)
  // The preflight of a page's POST on its event stream (the guard checked the Origin).
  app.options('/rpc', async (req, reply) => {
    if (!preflightAllowed(req)) return reply.code(403).header('cache-control', 'no-store').send()
    return reply
      .code(204)
      .headers({
        ...corsHeaders(req.headers.origin as string),
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': `content-type, ${STREAM_HEADER}`,
        'access-control-max-age': '600',
      })
      .send()
  })
  // A token URL (`/rpc/<token>`, checked by the guard) for clients that cannot set headers.
  app.post('/rpc/:token', onPost)
}
