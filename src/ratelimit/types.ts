import type { CostClass } from '../config/schema.js'

export type LimitVerdict = { ok: true } | { ok: false; retryAfterMs: number; limit: string }

/** The pipeline's view of the rate limiter (src/ratelimit). */
export interface RequestLimiter {
  /** Charges one request (one batch element) to every bucket that applies. */
  take(input: {
    origin: string
    method: string
    cost: CostClass
    connId: string
    /** A named budget instead of the method's class (`policy`). */
    budget?: string | undefined
  }): LimitVerdict
  /**
   * Gives back what `take` charged (origin, domain and global buckets, capped at capacity): a
   * prompt the person approved, or a request refused before anyone was asked, spends nothing.
   */
  refund(input: { origin: string; method: string; cost: CostClass; budget?: string | undefined }): void
  /** Charges one frame of a connection, before parsing. */
  takeFrame(connId: string): LimitVerdict
  /** Forget a closed connection's buckets. */
  releaseConnection(connId: string): void
}
