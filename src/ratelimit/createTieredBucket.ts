import type { RateTier } from '../config/schema.js'

/** Which tier of a tiered bucket refused: the burst bucket (refilled per second), the minute or the hour one. */
export type TierName = 'perSecond' | 'perMinute' | 'perHour'

/**
 * The shape of a tiered bucket, shared by every key of one kind (immutable). Tier i holds at most
 * `capacity[i]` tokens and refills `perMs[i]` tokens per millisecond.
 */
export type TierSpec = {
  readonly names: readonly TierName[]
  readonly capacity: readonly number[]
  readonly perMs: readonly number[]
}

/** The mutable state of one tiered bucket: tokens per tier as of `last` (ms), and when it is full again. */
export type BucketState = { last: number; tokens: number[]; fullAt: number }

/** A refused take: the exact wait before it would succeed, and the tier that needs the longest wait. */
export type Refusal = { retryAfterMs: number; tier: TierName }

/**
 * Slack, in tokens, for floating-point error. A take succeeds when a tier holds at least
 * `cost - EPSILON` tokens; waits are computed to reach `cost - EPSILON / 2`, so that after
 * `retryAfterMs` the take succeeds even with rounding, and one millisecond earlier it does not
 * (unless the true deficit is within 1e-7 tokens of a whole millisecond).
 */
const EPSILON = 1e-7

const PERIOD_MS: Record<TierName, number> = { perSecond: 1_000, perMinute: 60_000, perHour: 3_600_000 }

const positiveFinite = (n: number) => Number.isFinite(n) && n > 0

/**
 * Turns a configured tier set into a spec. The burst bucket has capacity `burst` and refills
 * `perSecond`; `perMinute` and `perHour` are buckets of that capacity refilled evenly over their
 * period. So, like any token bucket, in any window of T ms a key passes at most
 * `capacity + rate · T` per tier: "per minute" is a sustained rate plus an allowance of one
 * minute's worth at once, not a fixed window. `factor` scales every tier (registrable domains).
 */
export function toTierSpec(tier: RateTier, factor = 1): TierSpec {
  if (!positiveFinite(factor) || factor < 1)
    throw new RangeError('Rate tier factor must be a finite number ≥ 1.')
  const names: TierName[] = []
  const capacity: number[] = []
  const perMs: number[] = []
  const add = (name: TierName, count: number, ratePerMs: number) => {
    if (!positiveFinite(count) || count < 1 || !positiveFinite(ratePerMs)) {
      throw new RangeError(`Rate tier ${name} must have a finite capacity ≥ 1 and a positive rate.`)
    }
    names.push(name)
    capacity.push(count * factor)
    perMs.push(ratePerMs * factor)
  }
  add('perSecond', tier.burst, tier.perSecond / PERIOD_MS.perSecond)
  if (tier.perMinute !== undefined) add('perMinute', tier.perMinute, tier.perMinute / PERIOD_MS.perMinute)
  if (tier.perHour !== undefined) add('perHour', tier.perHour, tier.perHour / PERIOD_MS.perHour)
  return { names, capacity, perMs }
}

/** A full bucket as of `now`. */
export function newBucketState(spec: TierSpec, now: number): BucketState {
  return { last: now, tokens: spec.capacity.slice(), fullAt: now }
}

/**
 * Lazy refill to `now`. A clock that went backwards refills nothing (and `last` stays ahead), so a
 * clock step can never mint tokens.
 */
export function refillBucket(spec: TierSpec, state: BucketState, now: number): void {
  const dt = now - state.last
  if (!(dt > 0)) return
  const { tokens } = state
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]! + dt * spec.perMs[i]!
    const cap = spec.capacity[i]!
    tokens[i] = Math.min(t, cap)
  }
  state.last = now
}

/** After a refill: null when every tier holds `cost` tokens, else the longest wait and its tier. Consumes nothing. */
export function bucketRefusal(spec: TierSpec, state: BucketState, cost = 1): Refusal | null {
  const { tokens } = state
  let worst = -1
  let wait = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t >= cost - EPSILON) continue
    // Stryker disable next-line ArithmeticOperator: EPSILON/2 vs 2·EPSILON differs only within 1e-7 of a token
    const w = Math.max(1, Math.ceil((cost - EPSILON / 2 - t) / spec.perMs[i]!))
    if (w > wait) {
      wait = w
      worst = i
    }
  }
  return worst < 0 ? null : { retryAfterMs: wait, tier: spec.names[worst]! }
}

/** After a successful check: takes `cost` from every tier and records when the bucket is full again. */
export function consumeBucket(spec: TierSpec, state: BucketState, cost = 1): void {
  const { tokens } = state
  let untilFull = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]! - cost
    tokens[i] = t
    const ms = (spec.capacity[i]! - t) / spec.perMs[i]!
    if (ms > untilFull) untilFull = ms
  }
  state.fullAt = state.last + untilFull
}

/**
 * Gives `cost` tokens back to every tier (capped at capacity), after a refill to the state's
 * time: a request that turned out not to need its budget (an approved prompt) returns it.
 */
export function refundBucket(spec: TierSpec, state: BucketState, cost = 1): void {
  const { tokens } = state
  let untilFull = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = Math.min(spec.capacity[i]!, tokens[i]! + cost)
    tokens[i] = t
    const ms = (spec.capacity[i]! - t) / spec.perMs[i]!
    if (ms > untilFull) untilFull = ms
  }
  state.fullAt = state.last + untilFull
}

export type TieredBucket = {
  /** Takes `cost` tokens from every tier if all have them (verdict null); otherwise takes nothing. */
  take(cost?: number): Refusal | null
  /** Like take, without taking. */
  check(cost?: number): Refusal | null
  /** Tokens per tier now (after lazy refill), in tier order. */
  tokens(): number[]
  /** Time (on the injected clock) at which every tier is full again. */
  fullAt(): number
  readonly tiers: readonly TierName[]
}

function assertCost(spec: TierSpec, cost: number): void {
  if (!positiveFinite(cost) || cost > Math.min(...spec.capacity)) {
    throw new RangeError(
      `Token cost must be positive and at most the smallest capacity (${Math.min(...spec.capacity)}).`,
    )
  }
}

/**
 * A bucket with several tiers (burst + per second, per minute, per hour): a take needs tokens in
 * every tier; a refusal takes nothing and reports the longest wait among the tiers that refused.
 * O(tiers) per call, lazily refilled from the injected clock (ms).
 */
export function createTieredBucket({
  tiers,
  now,
}: {
  tiers: RateTier | TierSpec
  now: () => number
}): TieredBucket {
  const spec = 'names' in tiers ? tiers : toTierSpec(tiers)
  const state = newBucketState(spec, now())
  const check = (cost = 1) => {
    assertCost(spec, cost)
    refillBucket(spec, state, now())
    return bucketRefusal(spec, state, cost)
  }
  return {
    tiers: spec.names,
    check,
    take(cost = 1) {
      const refusal = check(cost)
      if (refusal === null) consumeBucket(spec, state, cost)
      return refusal
    },
    tokens() {
      refillBucket(spec, state, now())
      return state.tokens.slice()
    },
    fullAt: () => state.fullAt,
  }
}
