import { LimitExceededError } from '../../errors/rpc.js'
import type { Metrics } from '../../metrics.js'
import type { RequestLimiter } from '../../ratelimit/types.js'
import type { Middleware } from '../types.js'

/** Charges the request to the origin × cost-class, domain, connection and global buckets (-32005). */
export function createRateLimitMiddleware({ limiter, metrics }: { limiter: RequestLimiter; metrics: Metrics }): Middleware {
  return async function rateLimit(ctx, next) {
    const method = ctx.method!
    const verdict = limiter.take({ origin: ctx.conn.origin, method: method.method, cost: method.cost, connId: ctx.conn.id })
    if (!verdict.ok) {
      metrics.rateLimited.inc({ limit: verdict.limit })
      throw new LimitExceededError({
        message: `Rate limit exceeded (${verdict.limit}); retry in ${verdict.retryAfterMs} ms.`,
        data: { retryAfterMs: verdict.retryAfterMs, limit: verdict.limit },
      })
    }
    return next()
  }
}
