import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createTieredBucket, toTierSpec } from './createTieredBucket.js'

describe('createTieredBucket', () => {
  it('the burst tier: `burst` at once, then perSecond', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({ tiers: { burst: 3, perSecond: 2 }, now: clock.now })
    for (let i = 0; i < 3; i++) expect(bucket.take()).toBeNull()
    expect(bucket.take()).toEqual({ retryAfterMs: 500, tier: 'perSecond' })
  })

  it('the minute tier refuses once a minute worth is used, whatever the burst tier has', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({
      tiers: { burst: 100, perSecond: 100, perMinute: 10 },
      now: clock.now,
    })
    for (let i = 0; i < 10; i++) expect(bucket.take()).toBeNull()
    // 10 per minute: one token per 6 s.
    expect(bucket.take()).toEqual({ retryAfterMs: 6000, tier: 'perMinute' })
    clock.advance(5999)
    expect(bucket.take()).toEqual({ retryAfterMs: 1, tier: 'perMinute' })
    clock.advance(1)
    expect(bucket.take()).toBeNull()
    expect(bucket.take()?.tier).toBe('perMinute')
  })

  it('the hour tier refuses once an hour worth is used', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({
      tiers: { burst: 100, perSecond: 100, perMinute: 1000, perHour: 12 },
      now: clock.now,
    })
    for (let i = 0; i < 12; i++) expect(bucket.take()).toBeNull()
    expect(bucket.take()).toEqual({ retryAfterMs: 300_000, tier: 'perHour' })
    clock.advance(300_000)
    expect(bucket.take()).toBeNull()
  })

  it('retryAfterMs is the longest wait among the tiers that refuse', () => {
    const clock = fakeClock()
    // Burst tier: 2, one per 1 s. Minute tier: 2, one per 30 s.
    const bucket = createTieredBucket({ tiers: { burst: 2, perSecond: 1, perMinute: 2 }, now: clock.now })
    expect(bucket.take()).toBeNull()
    expect(bucket.take()).toBeNull()
    // Both empty: burst needs 1000 ms, minute needs 30 000 ms.
    expect(bucket.take()).toEqual({ retryAfterMs: 30_000, tier: 'perMinute' })
    clock.advance(29_999)
    expect(bucket.take()).toEqual({ retryAfterMs: 1, tier: 'perMinute' })
    clock.advance(1)
    expect(bucket.take()).toBeNull()
  })

  it('a refusal by one tier takes nothing from the others', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({ tiers: { burst: 10, perSecond: 1, perMinute: 1 }, now: clock.now })
    expect(bucket.take()).toBeNull()
    const before = bucket.tokens()
    for (let i = 0; i < 50; i++) expect(bucket.take()?.tier).toBe('perMinute')
    expect(bucket.tokens()).toEqual(before)
  })

  it('fullAt is when every tier is full again', () => {
    const clock = fakeClock(1000)
    const bucket = createTieredBucket({ tiers: { burst: 2, perSecond: 1, perMinute: 6 }, now: clock.now })
    bucket.take()
    // burst: 1 s to refill one token; minute: 10 s.
    expect(bucket.fullAt()).toBeCloseTo(11_000, 6)
  })

  it('toTierSpec scales by a factor and rejects bad tiers', () => {
    const spec = toTierSpec({ burst: 3, perSecond: 0.5, perMinute: 6, perHour: 60 }, 2)
    expect(spec.names).toEqual(['perSecond', 'perMinute', 'perHour'])
    expect(spec.capacity).toEqual([6, 12, 120])
    expect(spec.perMs[0]).toBeCloseTo(0.001, 12)
    expect(spec.perMs[1]).toBeCloseTo(12 / 60_000, 12)
    expect(() => toTierSpec({ burst: 3, perSecond: 1 }, 0.5)).toThrow(RangeError)
    expect(() => toTierSpec({ burst: 3, perSecond: Number.POSITIVE_INFINITY })).toThrow(RangeError)
  })

  it('a clock that steps back refills nothing and takes nothing away', () => {
    const clock = fakeClock(10_000)
    const bucket = createTieredBucket({ tiers: { burst: 3, perSecond: 1 }, now: clock.now })
    bucket.take()
    bucket.take()
    clock.advance(-5000)
    expect(bucket.tokens()).toEqual([1])
    // `last` stays ahead: refill resumes from the later time, not from the stepped-back one.
    clock.advance(5500)
    expect(bucket.tokens()).toEqual([1.5])
  })

  it('names the tier with the longest wait whichever position it has, and the first one on a tie', () => {
    const clock = fakeClock()
    // Burst tier: one token per 100 s; minute tier: one per 30 s.
    const slowBurst = createTieredBucket({
      tiers: { burst: 2, perSecond: 0.01, perMinute: 2 },
      now: clock.now,
    })
    slowBurst.take()
    slowBurst.take()
    expect(slowBurst.take()).toEqual({ retryAfterMs: 100_000, tier: 'perSecond' })
    // Both tiers: one token per 30 s.
    const tie = createTieredBucket({ tiers: { burst: 2, perSecond: 1 / 30, perMinute: 2 }, now: clock.now })
    tie.take()
    tie.take()
    expect(tie.take()).toEqual({ retryAfterMs: 30_000, tier: 'perSecond' })
  })

  it('takes several tokens at once, up to the smallest capacity', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({ tiers: { burst: 2, perSecond: 1, perMinute: 10 }, now: clock.now })
    expect(() => bucket.take(3)).toThrow(/at most the smallest capacity \(2\)/)
    expect(() => bucket.check(0)).toThrow(RangeError)
    expect(bucket.take(2)).toBeNull()
    expect(bucket.tokens()).toEqual([0, 8])
  })

  it('accepts a prepared spec (a scaled one keeps its scale) and hands out copies of its tokens', () => {
    const clock = fakeClock()
    const bucket = createTieredBucket({ tiers: toTierSpec({ burst: 1, perSecond: 1 }, 3), now: clock.now })
    expect(bucket.tiers).toEqual(['perSecond'])
    const tokens = bucket.tokens()
    tokens[0] = 0
    for (let i = 0; i < 3; i++) expect(bucket.take()).toBeNull()
    expect(bucket.take()).not.toBeNull()
  })

  it('toTierSpec refuses capacities below 1 and non-positive rates, saying which tier', () => {
    expect(() => toTierSpec({ burst: 0.5, perSecond: 1 })).toThrow(
      'Rate tier perSecond must have a finite capacity ≥ 1 and a positive rate.',
    )
    expect(() => toTierSpec({ burst: 2, perSecond: 0 })).toThrow(/perSecond/)
    expect(() => toTierSpec({ burst: 2, perSecond: 1, perMinute: 0.5 })).toThrow(/perMinute/)
    expect(() => toTierSpec({ burst: 2, perSecond: 1 }, 0.5)).toThrow(
      'Rate tier factor must be a finite number ≥ 1.',
    )
  })
})
