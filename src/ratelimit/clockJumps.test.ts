import { describe, expect, test } from 'vitest'
import { createRequestLimiter } from './createRequestLimiter.js'
import { createTieredBucket, toTierSpec } from './createTieredBucket.js'

const HOUR = 3_600_000

/** mulberry32: the same jumps on every run. */
function seeded(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('rate-limit buckets under clock jumps (hours, backwards, below zero): within [0, capacity], never more than earned', () => {
  test('random jumps and takes: every tier stays in range; grants never exceed capacity + rate × (latest time − start)', () => {
    const random = seeded(7)
    const tiers = { burst: 5, perSecond: 1, perMinute: 30, perHour: 100 }
    const spec = toTierSpec(tiers)
    const start = 1_000_000
    let t = start
    let latest = t
    const bucket = createTieredBucket({ tiers, now: () => t })
    let granted = 0
    let refused = 0
    for (let step = 0; step < 5_000; step++) {
      const r = random()
      if (r < 0.02)
        t += Math.round((random() * 2 - 1) * 3 * HOUR) // ± up to 3 h, may go negative
      else if (r < 0.3) t += Math.round(random() * 500)
      latest = Math.max(latest, t)
      const refusal = bucket.take()
      if (refusal === null) granted++
      else {
        refused++
        expect(Number.isFinite(refusal.retryAfterMs)).toBe(true)
        expect(refusal.retryAfterMs).toBeGreaterThanOrEqual(1)
      }
      const tokens = bucket.tokens()
      for (const [i, n] of tokens.entries()) {
        expect(n).toBeGreaterThan(-1e-6)
        expect(n).toBeLessThanOrEqual(spec.capacity[i]!)
      }
      // What any tier could have earned since the start, counted on the latest time ever seen: a
      // backward jump followed by a forward one earns nothing twice.
      for (const [i, cap] of spec.capacity.entries())
        expect(granted).toBeLessThanOrEqual(cap + spec.perMs[i]! * (latest - start) + 1e-6)
    }
    expect(granted).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })

  test('request limiter: a forward jump of hours refills to the burst, not beyond; a backward one mints nothing', () => {
    let t = 5 * HOUR
    const limiter = createRequestLimiter({
      now: () => t,
      config: {
        enabled: true,
        classes: {
          read: { burst: 5, perSecond: 1 },
          prompt: { burst: 2, perSecond: 0.1 },
          sign: { burst: 1, perSecond: 0.1, perHour: 10 },
        },
        methods: {},
        domainFactor: 2,
        connection: { burst: 3, perSecond: 1 },
        global: { burst: 1000, perSecond: 1000 },
        authFailures: { burst: 100, perSecond: 1 },
        maxKeys: 1000,
        logQuietMs: 10_000,
      },
    })
    const origin = 'https://a.example'
    const burstNow = (cost: 'read' | 'sign') => {
      let n = 0
      while (limiter.take({ origin, method: 'm', cost, connId: 'c1' }).ok) n++
      return n
    }
    expect(burstNow('read')).toBe(5)
    t += 10 * HOUR
    expect(burstNow('read')).toBe(5) // full again, never more than the burst
    t -= 12 * HOUR
    expect(burstNow('read')).toBe(0) // back in time: nothing minted
    t = -HOUR
    expect(burstNow('read')).toBe(0)
    t = 15 * HOUR + 1000 // one second past the latest time seen
    expect(burstNow('read')).toBe(1)
    // The hourly sign budget (10) is not reset by jumping back and forth: over all the jumps, at
    // most its capacity plus what the latest time seen earned since the bucket was made.
    const made = t
    let latest = t
    let signed = burstNow('sign')
    for (let i = 0; i < 40; i++) {
      t += i % 2 === 0 ? -2 * HOUR : 2 * HOUR + 10_000
      latest = Math.max(latest, t)
      signed += burstNow('sign')
    }
    expect(signed).toBeGreaterThan(1)
    expect(signed).toBeLessThanOrEqual(10 + (10 / HOUR) * (latest - made))
    const verdict = limiter.take({ origin, method: 'm', cost: 'sign', connId: 'c1' })
    expect(verdict.ok).toBe(false)
    if (!verdict.ok) expect(verdict.retryAfterMs).toBeGreaterThan(0)
  })
})
