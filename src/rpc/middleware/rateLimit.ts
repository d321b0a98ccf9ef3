import type { Metrics } from '../../metrics.js'
import { createRefusalReporter } from '../../ratelimit/createRefusalReporter.js'
import type { RequestLimiter } from '../../ratelimit/types.js'
import type { Middleware } from '../types.js'

export type RateLimitMiddlewareOptions = {
  limiter: RequestLimiter
  metrics: Metrics
  now: () => number
  /** Refusals of one origin and limit are logged once, then at most once per this (default 10 s). */
  config?: { rateLimit: { logQuietMs: number } }
}

/**
 * Charges the request (each batch element) to the origin × cost-class, domain and global buckets.
 * A refusal is -32005 with `data: { retryAfterMs, limit }`, counted in metrics by limit and tier,
 * and logged once per burst per origin and limit (warn), never per request (the refusal reporter
 * the connection layer uses too).
 */
export function createRateLimitMiddleware({
  limiter,
  metrics,
  now,
  config,
}: RateLimitMiddlewareOptions): Middleware {
  const refusals = createRefusalReporter({
    counter: metrics.rateLimited,
    quietMs: config?.rateLimit.logQuietMs ?? 10_000,
    now,
  })
  return async function rateLimit(ctx, next) {
    const method = ctx.method!
    const origin = ctx.conn.origin
    const verdict = limiter.take({ origin, method: method.method, cost: method.cost, connId: ctx.conn.id })
    if (!verdict.ok) {
      const { limit, retryAfterMs } = verdict
      throw refusals.refuse({
        key: limit.startsWith('global') ? limit : limit + '\n' + origin,
        limit,
        retryAfterMs,
        log: ctx.log,
        fields: { origin, method: method.method },
      })
    }
    return next()
  }
}
