import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createRefusalLog } from '../../ratelimit/createRefusalLog.js'
import type { MessageHandler } from '../../rpc/createMessageHandler.js'
import type { Services } from '../../rpc/services.js'
import type { Connection } from '../../rpc/types.js'

/**
 * `POST /rpc`: the same pipeline over HTTP (fallback transport; Node clients with a Bearer token,
 * viem's http transport, cast --rpc-headers). JSON bodies only (a `text/plain` cross-site POST is
 * refused with 415); the body is read as text so the depth guard runs before JSON.parse.
 *
 * HTTP has no connection, so the frame budget (`rateLimit.connection`) is per origin: its bucket
 * key is the origin string itself, which the guard already built. It cannot meet a WebSocket
 * connection's key (a randomUUID, never containing ':' as every origin and `token:<name>` does),
 * so no `http:` prefix is needed, and none is concatenated, flattened and hashed per request.
 * The limiter bounds those buckets by `rateLimit.maxKeys` like any other. Refusals are counted in
 * metrics per request and logged (warn) once per burst per origin.
 */
export function registerRpcHttp(
  app: FastifyInstance,
  { services, handler }: { services: Services; handler: MessageHandler },
) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: services.config.server.maxPayloadBytes },
    (_req, body, done) => done(null, body),
  )

  const refusals = createRefusalLog({ quietMs: services.config.rateLimit.logQuietMs, now: services.now })

  app.post('/rpc', async (req, reply) => {
    const caller = req.caller!
    const abort = new AbortController()
    const closers: Array<() => void> = []
    // The response stream closing before we wrote it means the client went away.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client went away'))
    })
    const connId = randomUUID()
    const conn: Connection = {
      id: connId,
      transport: 'http',
      origin: caller.origin,
      tokenName: caller.tokenName,
      log: services.log.child({ connId, origin: caller.origin }),
      notify: undefined,
      onClose: (fn) => closers.push(fn),
      closed: false,
      inFlight: 1,
    }
    const frame = services.limiter.takeFrame(caller.origin)
    let out: string | null
    if (!frame.ok) {
      services.metrics.rateLimited.inc({ limit: frame.limit })
      const count = refusals.refused(caller.origin)
      if (count > 0) {
        conn.log.warn(
          { limit: frame.limit, retryAfterMs: frame.retryAfterMs, refusals: count },
          'rate limit exceeded',
        )
      }
      out = JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32005,
          message: `Rate limit exceeded (${frame.limit}); retry in ${frame.retryAfterMs} ms.`,
          data: { retryAfterMs: frame.retryAfterMs, limit: frame.limit },
        },
      })
    } else {
      out = await handler.handleText(String(req.body ?? ''), conn, abort.signal)
    }
    for (const fn of closers.splice(0)) fn()
    reply.header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8')
    if (out === null) return reply.code(204).send()
    return reply.send(out)
  })
}
