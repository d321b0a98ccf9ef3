import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Metrics } from '../metrics.js'
import { createRefusalLog } from '../ratelimit/createRefusalLog.js'

export type HttpErrorHandlerOptions = {
  log: Logger
  now: () => number
  /** One log line per error kind per this interval, with the count (`rateLimit.logQuietMs`). */
  quietMs: number
}

/**
 * fastify's error handler: a 4xx keeps its own short message; anything else is a bare
 * `{"error":"internal error"}` 500. 5xx errors are logged once per burst per kind (its code or
 * name), with the number of occurrences; the line carries the kind and a short message, never a
 * stack (the stack goes to debug, under the same limit), so no request can fill the log.
 */
export function createHttpErrorHandler({ log, now, quietMs }: HttpErrorHandlerOptions) {
  const lines = createRefusalLog({ quietMs, now })
  return function httpErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500
    if (status >= 500) {
      const kind = String(err.code ?? err.name ?? 'Error').slice(0, 64)
      const count = lines.refused(kind)
      if (count > 0) {
        log.error({ err: { kind, message: String(err.message).slice(0, 200) }, count }, 'http error')
        log.debug({ err }, 'http error (stack)')
      }
    }
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .send({ error: status >= 500 ? 'internal error' : err.message })
  }
}

/**
 * fastify's `frameworkErrors`: requests fastify refuses before routing, without running any hook —
 * a target whose percent-encoding does not decode (`/%zz`), a parameter too long. Answered 400
 * `bad request target` like the guard's refusals (counted as `bad_target`, logged once per burst),
 * never echoing the target. For a WebSocket upgrade the socket is then destroyed: no hook runs on
 * this path, so nothing else would ever close it (it would hold a file descriptor, and keep the
 * server from closing).
 */
export function createFrameworkErrorHandler({
  log,
  now,
  quietMs,
  metrics,
}: HttpErrorHandlerOptions & { metrics: Metrics }) {
  const lines = createRefusalLog({ quietMs, now })
  return function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
    metrics.connectionsTotal.inc({ outcome: 'bad_target' })
    const kind = String(err.code ?? 'framework').slice(0, 64)
    const count = lines.refused(kind)
    if (count > 0) log.warn({ reason: kind, refusals: count }, 'refused a malformed request target')
    if (req.raw.headers.upgrade !== undefined) {
      const socket = reply.raw.socket
      reply.raw.once('finish', () => socket?.destroySoon())
    }
    return reply
      .code(400)
      .header('cache-control', 'no-store')
      .header('connection', 'close')
      .send({ error: 'bad request target' })
  }
}
