import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
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
