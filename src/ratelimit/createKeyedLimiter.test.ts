import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createKeyedLimiter } from './createKeyedLimiter.js'
import { toTierSpec } from './createTieredBucket.js'

describe('createKeyedLimiter', () => {
  const spec = toTierSpec({ burst: 2, perSecond: 1 })

  it('keys have separate buckets', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 10, now: clock.now })
    expect(limiter.take('a', spec)).toBeNull()
    expect(limiter.take('a', spec)).toBeNull()
    expect(limiter.take('a', spec)).toEqual({ retryAfterMs: 1000, tier: 'perSecond' })
    expect(limiter.take('b', spec)).toBeNull()
    expect(limiter.take('b', spec)).toBeNull()
  })

  it('check stores nothing: an unknown key passes without being inserted', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 10, now: clock.now })
    for (let i = 0; i < 100; i++) expect(limiter.check(`k${i}`, spec)).toBeNull()
    expect(limiter.size).toBe(0)
  })

  it('stays at most maxKeys under 1e5 invented keys, evicting the least recently used', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 1000, now: clock.now })
    // `victim` is drained and then touched often: it must survive; `stale` is touched once and evicted.
    limiter.take('victim', spec)
    limiter.take('victim', spec)
    limiter.take('stale', spec)
    for (let i = 0; i < 100_000; i++) {
      limiter.take(`attacker-${i}`, spec)
      if (i % 500 === 0) limiter.commit('victim', spec) // the victim stays recently used (and in debt)
      expect(limiter.size).toBeLessThanOrEqual(1000)
    }
    expect(limiter.size).toBe(1000)
    // The victim kept its debt: it was never forgotten.
    expect(limiter.check('victim', spec)).not.toBeNull()
  })

  it('forgets buckets that are full again (idle eviction) on inserts once half full', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 20, now: clock.now, sweepBatch: 4 })
    for (let i = 0; i < 10; i++) limiter.take(`k${i}`, spec)
    expect(limiter.size).toBe(10)
    clock.advance(999) // one token short of full
    limiter.take('new1', spec)
    expect(limiter.size).toBe(11)
    clock.advance(1) // k0..k9 are full again: equal to new buckets
    limiter.take('new2', spec) // sweeps at most 4 per insert
    expect(limiter.size).toBe(8)
    // The rest of k*; the sweep stops at new1, which is not full yet.
    expect(limiter.sweep()).toBe(6)
    expect(limiter.size).toBe(2)
    clock.advance(999)
    expect(limiter.sweep()).toBe(1) // new1 is full; new2 is not yet (taken 999 ms ago)
    clock.advance(1)
    expect(limiter.sweep()).toBe(1)
    expect(limiter.size).toBe(0)
  })

  it('a forgotten full bucket behaves exactly like the one it replaced', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 100, now: clock.now })
    limiter.take('a', spec)
    clock.advance(1000)
    expect(limiter.sweep()).toBe(1)
    expect(limiter.take('a', spec)).toBeNull()
    expect(limiter.take('a', spec)).toBeNull()
    expect(limiter.take('a', spec)).not.toBeNull()
  })

  it('delete forgets a key', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 10, now: clock.now })
    limiter.take('a', spec)
    expect(limiter.delete('a')).toBe(true)
    expect(limiter.size).toBe(0)
  })

  it('at maxKeys, a key used again gets a second chance and the oldest unused key is evicted', () => {
    const clock = fakeClock()
    const one = toTierSpec({ burst: 1, perSecond: 1 })
    const limiter = createKeyedLimiter({ maxKeys: 3, now: clock.now })
    for (const k of ['a', 'b', 'c']) limiter.take(k, one)
    limiter.commit('a', one) // used again (and in debt)
    limiter.take('d', one)
    expect(limiter.size).toBe(3)
    expect(limiter.check('a', one)).not.toBeNull()
    expect(limiter.check('b', one)).toBeNull() // forgotten: a full bucket again
    expect(limiter.check('c', one)).not.toBeNull()
  })

  it('when every key was used again, the oldest is evicted after its second chance', () => {
    const clock = fakeClock()
    const one = toTierSpec({ burst: 1, perSecond: 1 })
    const limiter = createKeyedLimiter({ maxKeys: 3, now: clock.now })
    for (const k of ['a', 'b', 'c']) {
      limiter.take(k, one)
      limiter.commit(k, one)
    }
    limiter.take('d', one)
    expect(limiter.check('a', one)).toBeNull()
    for (const k of ['b', 'c', 'd']) expect(limiter.check(k, one)).not.toBeNull()
  })

  it('second chances are bounded: with more used keys than chances, the ninth in line is evicted', () => {
    const clock = fakeClock()
    const one = toTierSpec({ burst: 1, perSecond: 1 })
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`)
    const limiter = createKeyedLimiter({ maxKeys: keys.length, now: clock.now })
    for (const k of keys) {
      limiter.take(k, one)
      limiter.commit(k, one)
    }
    limiter.take('new', one)
    expect(limiter.size).toBe(keys.length)
    expect(keys.filter((k) => limiter.check(k, one) === null)).toEqual(['k8'])
  })

  it('refund gives a token back to a known key and ignores an unknown one', () => {
    const clock = fakeClock()
    const limiter = createKeyedLimiter({ maxKeys: 10, now: clock.now })
    limiter.take('a', spec)
    limiter.take('a', spec)
    expect(limiter.check('a', spec)).not.toBeNull()
    limiter.refund('a', spec)
    expect(limiter.check('a', spec)).toBeNull()
    limiter.refund('unknown', spec)
    expect(limiter.size).toBe(1)
  })

  it('maxKeys must be a positive integer', () => {
    expect(() => createKeyedLimiter({ maxKeys: 0, now: () => 0 })).toThrow(
      'maxKeys must be a positive integer.',
    )
    const one = createKeyedLimiter({ maxKeys: 1, now: () => 0 })
    one.take('a', spec)
    one.take('b', spec)
    expect(one.size).toBe(1)
  })

  it('after a refund the bucket is full again sooner: the sweep forgets it at its new fullAt', () => {
    const clock = fakeClock()
    // Burst tier: one token per 100 s; minute tier: one per 10 s. fullAt follows the slowest tier.
    const slow = toTierSpec({ burst: 2, perSecond: 0.01, perMinute: 6 })
    const limiter = createKeyedLimiter({ maxKeys: 10, now: clock.now })
    limiter.take('b', slow)
    limiter.take('a', slow)
    limiter.take('a', slow)
    limiter.refund('a', slow)
    clock.advance(99_999)
    expect(limiter.sweep()).toBe(0) // b is full again at 100 s, not at 10 s (the minute tier)
    clock.advance(1)
    expect(limiter.sweep()).toBe(2) // b, then a (given its token back: as full as b)
    limiter.take('a', slow)
    limiter.take('a', slow)
    limiter.refund('a', slow)
    expect(limiter.sweep()).toBe(0)
    clock.advance(99_999)
    expect(limiter.sweep()).toBe(0)
    clock.advance(1)
    expect(limiter.sweep()).toBe(1)
  })
})
