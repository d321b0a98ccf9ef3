import {
  type BucketState,
  bucketRefusal,
  consumeBucket,
  newBucketState,
  type Refusal,
  refillBucket,
  type TierSpec,
} from './createTieredBucket.js'

export type KeyedLimiterOptions = {
  /** Hard bound on buckets kept; inserting beyond it evicts the least recently used one. */
  maxKeys: number
  /** Clock in milliseconds (injected). */
  now: () => number
  /** Full buckets forgotten per insert, at most (amortised idle eviction). Default 4. */
  sweepBatch?: number
}

export type KeyedLimiter = {
  /**
   * Would one token be available for `key` at `at`? null if so, else the exact wait. Stores
   * nothing: an unknown key is a full bucket and is not inserted (refused traffic cannot grow
   * the map).
   */
  check(key: string, spec: TierSpec, at?: number): Refusal | null
  /** Takes one token for `key` (which must have passed `check` at the same `at`); marks it most recently used. */
  commit(key: string, spec: TierSpec, at?: number): void
  /** check, then commit when it passed. */
  take(key: string, spec: TierSpec, at?: number): Refusal | null
  delete(key: string): boolean
  /** Forgets up to `max` least recently used buckets that are full again (they equal a new one). */
  sweep(max?: number, at?: number): number
  readonly size: number
}

/**
 * Tiered buckets by string key. A key must always be used with the same spec. Memory is bounded
 * by `maxKeys` whatever keys an attacker invents:
 *
 * - The Map's insertion order is the LRU order (delete + set on every commit), so the oldest
 *   entry is the least recently used, found in O(1).
 * - Idle eviction: a bucket that is full again is indistinguishable from a new one and is dropped
 *   from the LRU end, a few per insert (O(1) amortised). The sweep stops at the first bucket that
 *   is not yet full, so it never scans.
 * - At `maxKeys`, the least recently used bucket is evicted even if it is not full. That loses its
 *   debt (the key starts over with a full bucket), which is why callers add a global limit:
 *   inserting a key costs a global token, so cycling a throttled key out takes `maxKeys` global
 *   tokens.
 */
export function createKeyedLimiter({ maxKeys, now, sweepBatch = 4 }: KeyedLimiterOptions): KeyedLimiter {
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer.')
  const buckets = new Map<string, BucketState>()

  function sweep(max = Number.POSITIVE_INFINITY, at = now()): number {
    let evicted = 0
    for (const [key, state] of buckets) {
      if (evicted >= max || state.fullAt > at) break
      buckets.delete(key)
      evicted++
    }
    return evicted
  }

  function check(key: string, spec: TierSpec, at = now()): Refusal | null {
    const state = buckets.get(key)
    if (state === undefined) return null
    refillBucket(spec, state, at)
    return bucketRefusal(spec, state)
  }

  function commit(key: string, spec: TierSpec, at = now()): void {
    let state = buckets.get(key)
    if (state === undefined) {
      sweep(sweepBatch, at)
      while (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next()
        if (oldest.done) break
        buckets.delete(oldest.value)
      }
      state = newBucketState(spec, at)
    } else {
      buckets.delete(key)
      refillBucket(spec, state, at)
    }
    consumeBucket(spec, state)
    buckets.set(key, state)
  }

  return {
    check,
    commit,
    take(key, spec, at = now()) {
      const refusal = check(key, spec, at)
      if (refusal === null) commit(key, spec, at)
      return refusal
    },
    delete: (key) => buckets.delete(key),
    sweep,
    get size() {
      return buckets.size
    },
  }
}
