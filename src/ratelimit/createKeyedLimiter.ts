import {
  type BucketState,
  bucketRefusal,
  consumeBucket,
  type Refusal,
  refillBucket,
  refundBucket,
  type TierSpec,
} from './createTieredBucket.js'

export type KeyedLimiterOptions = {
  /** Hard bound on buckets kept; inserting beyond it evicts the least recently used one. */
  maxKeys: number
  /** Clock in milliseconds (injected). */
  now: () => number
  /** Full buckets forgotten per insert, at most, once the map is half full (amortised idle eviction). Default 4. */
  sweepBatch?: number
}

export type KeyedLimiter = {
  /**
   * Would one token be available for `key` at `at`? null if so, else the exact wait. Stores
   * nothing: an unknown key is a full bucket and is not inserted (refused traffic cannot grow
   * the map).
   */
  check(key: string, spec: TierSpec, at?: number): Refusal | null
  /** Takes one token for `key` (which must have passed `check` at the same `at`); marks it recently used. */
  commit(key: string, spec: TierSpec, at?: number): void
  /** check, then commit when it passed. */
  take(key: string, spec: TierSpec, at?: number): Refusal | null
  /** Gives one token back to `key`'s bucket (capped at capacity); nothing for an unknown key. */
  refund(key: string, spec: TierSpec, at?: number): void
  delete(key: string): boolean
  /** Forgets up to `max` least recently used buckets that are full again (they equal a new one). */
  sweep(max?: number, at?: number): number
  readonly size: number
}

/** A bucket in the map, with the second-chance bit of the CLOCK eviction. */
type Entry = BucketState & { used: boolean }

/** Second chances given per eviction at most, so one insert does bounded work. */
const MAX_SECOND_CHANCES = 8

/**
 * Tiered buckets by string key. A key must always be used with the same spec. Memory is bounded
 * by `maxKeys` whatever keys an attacker invents:
 *
 * - The Map's insertion order is the eviction order. A commit to an existing key only sets its
 *   `used` bit (CLOCK, an O(1) approximation of LRU: a delete + set on every touch makes V8
 *   rehash the table constantly and costs ~5× more). When a bucket reaches the front, a set bit
 *   buys it a second chance (cleared, moved to the back); an unset one is evicted.
 * - Idle eviction: a bucket that is full again is indistinguishable from a new one and is dropped
 *   from the front, a few per insert once the map is half full (O(1) amortised); `sweep()` does it
 *   on demand. The sweep stops at the first bucket that
 *   is not yet full, so it never scans.
 * - At `maxKeys`, a bucket not used since its last second chance is evicted even if it is not
 *   full. That loses its debt (the key starts over with a full bucket), which is why callers add
 *   a global limit: inserting a key costs a global token, so cycling a throttled key out takes
 *   about `maxKeys` global tokens.
 */
export function createKeyedLimiter({ maxKeys, now, sweepBatch = 4 }: KeyedLimiterOptions): KeyedLimiter {
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer.')
  const buckets = new Map<string, Entry>()
  const sweepFrom = Math.floor(maxKeys / 2)

  function sweep(max = Number.POSITIVE_INFINITY, at = now()): number {
    let evicted = 0
    for (const [key, entry] of buckets) {
      if (evicted >= max || entry.fullAt > at) break
      buckets.delete(key)
      evicted++
    }
    return evicted
  }

  function evictOne(): void {
    let chances = 0
    for (const [key, entry] of buckets) {
      buckets.delete(key)
      if (!entry.used || chances >= MAX_SECOND_CHANCES) return
      entry.used = false
      buckets.set(key, entry)
      chances++
    }
  }

  function check(key: string, spec: TierSpec, at = now()): Refusal | null {
    const entry = buckets.get(key)
    if (entry === undefined) return null
    refillBucket(spec, entry, at)
    return bucketRefusal(spec, entry)
  }

  function commit(key: string, spec: TierSpec, at = now()): void {
    let entry = buckets.get(key)
    if (entry === undefined) {
      // Idle eviction once the map is half full: below that, keeping full buckets is cheaper than remaking them.
      if (buckets.size >= sweepFrom) sweep(sweepBatch, at)
      while (buckets.size >= maxKeys) evictOne()
      entry = { last: at, tokens: spec.capacity.slice(), fullAt: at, used: false }
      buckets.set(key, entry)
    } else {
      refillBucket(spec, entry, at)
      entry.used = true
    }
    consumeBucket(spec, entry)
  }

  return {
    check,
    commit,
    take(key, spec, at = now()) {
      const refusal = check(key, spec, at)
      if (refusal === null) commit(key, spec, at)
      return refusal
    },
    refund(key, spec, at = now()) {
      const entry = buckets.get(key)
      if (entry === undefined) return
      refillBucket(spec, entry, at)
      refundBucket(spec, entry)
    },
    delete: (key) => buckets.delete(key),
    sweep,
    get size() {
      return buckets.size
    },
  }
}
