import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { MessageHandler } from '../../rpc/createMessageHandler.js'
import type { Connection } from '../../rpc/types.js'
import type { Services } from '../../services.js'

/**
 * `POST /rpc`: the same pipeline over HTTP (fallback transport; Node clients with a Bearer token,
 * viem's http transport, cast --rpc-headers). JSON bodies only (a `text/plain` cross-site POST is
 * refused with 415); the body is read as text so the depth guard runs before JSON.parse.
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
    const frame = services.limiter.takeFrame(`http:${caller.origin}`)
    let out: string | null
    if (!frame.ok) {
      services.metrics.rateLimited.inc({ limit: frame.limit })
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
