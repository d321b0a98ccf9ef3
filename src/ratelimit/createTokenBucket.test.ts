import { describe, expect, it } from 'vitest'
import { createTokenBucket } from './createTokenBucket.js'

const fakeClock = (start = 1_000_000) => {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
    set: (ms: number) => {
      t = ms
    },
  }
}

describe('createTokenBucket', () => {
  it('allows a burst of `capacity` at once, then refuses', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ capacity: 5, refillPerSecond: 1, now: clock.now })
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0)
    expect(bucket.take()).toBe(1000)
  })

  it('refills lazily at the configured rate, never above capacity', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ capacity: 4, refillPerSecond: 2, now: clock.now })
    for (let i = 0; i < 4; i++) expect(bucket.take()).toBe(0)
    expect(bucket.tokens()).toBeCloseTo(0, 9)
    clock.advance(250)
    expect(bucket.tokens()).toBeCloseTo(0.5, 9)
    clock.advance(250)
    expect(bucket.take()).toBe(0)
    expect(bucket.take()).toBe(500)
    clock.advance(60_000)
    expect(bucket.tokens()).toBe(4)
    for (let i = 0; i < 4; i++) expect(bucket.take()).toBe(0)
    expect(bucket.take()).toBeGreaterThan(0)
  })

  it('retryAfterMs is exact: refused 1 ms before, allowed at it', () => {
    for (const rate of [0.05, 0.5, 1, 3, 7, 60, 100, 300]) {
      const clock = fakeClock()
      const bucket = createTokenBucket({ capacity: 2, refillPerSecond: rate, now: clock.now })
      bucket.take()
      bucket.take()
      clock.advance(3) // a partial refill, so the wait is not a whole interval
      const wait = bucket.take()
      const expected = Math.max(1, Math.ceil(1000 / rate - 3))
      expect(wait).toBe(expected)
      clock.advance(wait - 1)
      expect(bucket.take()).toBe(1)
      clock.advance(1)
      expect(bucket.take()).toBe(0)
    }
  })

  it('a refused take consumes nothing', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ capacity: 1, refillPerSecond: 1, now: clock.now })
    expect(bucket.take()).toBe(0)
    for (let i = 0; i < 100; i++) expect(bucket.take()).toBeGreaterThan(0)
    clock.advance(1000)
    expect(bucket.take()).toBe(0)
  })

  it('waitMs reports without taking', () => {
    const clock = fakeClock()
    const bucket = createTokenBucket({ capacity: 1, refillPerSecond: 10, now: clock.now })
    expect(bucket.waitMs()).toBe(0)
    expect(bucket.waitMs()).toBe(0)
    expect(bucket.take()).toBe(0)
    expect(bucket.waitMs()).toBe(100)
  })

  it('a clock that goes backwards mints no tokens', () => {
    const clock = fakeClock(10_000)
    const bucket = createTokenBucket({ capacity: 1, refillPerSecond: 1, now: clock.now })
    expect(bucket.take()).toBe(0)
    clock.set(5_000)
    expect(bucket.take()).toBeGreaterThan(0)
    clock.set(10_999)
    expect(bucket.take()).toBeGreaterThan(0)
    clock.set(11_000)
    expect(bucket.take()).toBe(0)
  })

  it('costs above capacity and bad configs are rejected', () => {
    const clock = fakeClock()
    expect(() => createTokenBucket({ capacity: 0, refillPerSecond: 1, now: clock.now })).toThrow(RangeError)
    expect(() => createTokenBucket({ capacity: 1, refillPerSecond: 0, now: clock.now })).toThrow(RangeError)
    expect(() => createTokenBucket({ capacity: 1, refillPerSecond: Number.NaN, now: clock.now })).toThrow(
      RangeError,
    )
    const bucket = createTokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.now })
    expect(() => bucket.take(3)).toThrow(RangeError)
    expect(bucket.take(2)).toBe(0)
  })
})
