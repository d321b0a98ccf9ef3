import type { CostClass } from '../config/schema.js'

export type LimitVerdict = { ok: true } | { ok: false; retryAfterMs: number; limit: string }

/** The pipeline's view of the rate limiter (src/ratelimit). */
export interface RequestLimiter {
  /** Charges one request (one batch element) to every bucket that applies. */
  take(input: { origin: string; method: string; cost: CostClass; connId: string }): LimitVerdict
  /** Charges one frame of a connection, before parsing. */
  takeFrame(connId: string): LimitVerdict
  /** Forget a closed connection's buckets. */
  releaseConnection(connId: string): void
}
