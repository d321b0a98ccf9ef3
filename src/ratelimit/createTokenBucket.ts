import { createTieredBucket } from './createTieredBucket.js'

export type TokenBucketOptions = {
  /** Most tokens held (the burst), at least 1. The bucket starts full. */
  capacity: number
  /** Tokens added per second, continuously. */
  refillPerSecond: number
  /** Clock in milliseconds (injected; tests pass a fake). */
  now: () => number
}

export type TokenBucket = {
  /** Takes `cost` tokens (default 1): 0 when taken, else the exact wait in ms (nothing taken). */
  take(cost?: number): number
  /** The wait in ms before `cost` tokens are there (0: now). Takes nothing. */
  waitMs(cost?: number): number
  /** Tokens now, after the lazy refill. */
  tokens(): number
}

/** A single token bucket: O(1) per call, refilled lazily from the injected clock, no timers. */
export function createTokenBucket({ capacity, refillPerSecond, now }: TokenBucketOptions): TokenBucket {
  const bucket = createTieredBucket({ tiers: { burst: capacity, perSecond: refillPerSecond }, now })
  return {
    take: (cost = 1) => bucket.take(cost)?.retryAfterMs ?? 0,
    waitMs: (cost = 1) => bucket.check(cost)?.retryAfterMs ?? 0,
    tokens: () => bucket.tokens()[0]!,
  }
}
