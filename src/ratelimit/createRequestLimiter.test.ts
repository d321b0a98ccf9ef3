import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { ConfigSchema, type CostClass } from '../config/schema.js'
import { createRequestLimiter, type RateLimitConfig } from './createRequestLimiter.js'
import type { LimitVerdict } from './types.js'

const defaults = ConfigSchema.parse(
  JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8')),
).rateLimit

const clockAt = () => fakeClock(1_000_000)

/** A config with easy numbers: read 5 at once, 1/s; global and connection out of the way. */
const config = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({
  enabled: true,
  classes: {
    read: { burst: 5, perSecond: 1 },
    prompt: { burst: 2, perSecond: 0.1, perMinute: 3 },
    sign: { burst: 1, perSecond: 0.1 },
  },
  methods: {},
  domainFactor: 2,
  connection: { burst: 3, perSecond: 1 },
  global: { burst: 1_000_000, perSecond: 1_000_000 },
  authFailures: { burst: 100, perSecond: 1 },
  maxKeys: 1000,
  logQuietMs: 10_000,
  ...over,
})

const req = (origin: string, cost: CostClass = 'read', method = 'eth_blockNumber') => ({
  origin,
  method,
  cost,
  connId: 'c1',
})

const limitOf = (v: LimitVerdict) => (v.ok ? null : v.limit)

const drain = (take: () => LimitVerdict, max = 10_000) => {
  let n = 0
  while (take().ok && n < max) n++
  return n
}

describe('createRequestLimiter', () => {
  it('the default config is valid and yields strict prompt/sign classes', () => {
    expect(defaults.enabled).toBe(true)
    expect(defaults.classes.prompt.burst).toBeLessThanOrEqual(3)
    expect(defaults.classes.sign.burst).toBeLessThanOrEqual(3)
  })

  it('refuses with the origin tier and an exact retryAfterMs', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    expect(drain(() => limiter.take(req('https://app.example')))).toBe(5)
    expect(limiter.take(req('https://app.example'))).toEqual({
      ok: false,
      retryAfterMs: 1000,
      limit: 'origin:read:perSecond',
    })
    clock.advance(999)
    expect(limiter.take(req('https://app.example')).ok).toBe(false)
    clock.advance(1)
    expect(limiter.take(req('https://app.example')).ok).toBe(true)
  })

  it('two origins never share a budget', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    expect(drain(() => limiter.take(req('https://one.example')))).toBe(5)
    expect(drain(() => limiter.take(req('https://two.example')))).toBe(5)
    expect(drain(() => limiter.take(req('http://127.0.0.1:8080')))).toBe(5)
    expect(drain(() => limiter.take(req('http://127.0.0.1:8081')))).toBe(5)
    expect(drain(() => limiter.take(req('token:cli')))).toBe(5)
    expect(drain(() => limiter.take(req('token:other')))).toBe(5)
    expect(drain(() => limiter.take(req('http://localhost:3000')))).toBe(5)
    expect(drain(() => limiter.take(req('http://localhost:3001')))).toBe(5)
  })

  it('classes are separate budgets of one origin', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    expect(drain(() => limiter.take(req('https://app.example', 'read')))).toBe(5)
    expect(drain(() => limiter.take(req('https://app.example', 'prompt', 'eth_requestAccounts')))).toBe(2)
    expect(limiter.take(req('https://app.example', 'prompt', 'eth_requestAccounts'))).toMatchObject({
      limit: 'origin:prompt:perSecond',
      retryAfterMs: 10_000,
    })
    expect(drain(() => limiter.take(req('https://app.example', 'sign', 'personal_sign')))).toBe(1)
  })

  it('subdomains of one registrable domain share the domain budget', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    // Origin budget 5, domain budget 2 × 5 = 10, shared by every *.evil.example.
    expect(drain(() => limiter.take(req('https://a.evil.example')))).toBe(5)
    expect(drain(() => limiter.take(req('https://b.evil.example')))).toBe(5)
    const third = limiter.take(req('https://c.evil.example'))
    expect(third).toEqual({ ok: false, retryAfterMs: 500, limit: 'domain:read:perSecond' })
    for (let i = 0; i < 1000; i++) expect(limiter.take(req(`https://x${i}.evil.example`)).ok).toBe(false)
    // An unrelated domain is untouched.
    expect(drain(() => limiter.take(req('https://good.example')))).toBe(5)
    // The domain refills at 2/s: after 500 ms one more subdomain request passes.
    clock.advance(500)
    expect(limiter.take(req('https://d.evil.example')).ok).toBe(true)
    expect(limiter.take(req('https://e.evil.example')).ok).toBe(false)
  })

  it('public suffixes such as co.uk are not shared domains; their registrable domains are', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config({ domainFactor: 1 }), now: clock.now })
    expect(drain(() => limiter.take(req('https://a.one.co.uk')))).toBe(5)
    expect(limiter.take(req('https://b.one.co.uk'))).toMatchObject({
      ok: false,
      limit: 'domain:read:perSecond',
    })
    expect(drain(() => limiter.take(req('https://two.co.uk')))).toBe(5)
    expect(drain(() => limiter.take(req('https://www.three.co.uk')))).toBe(5)
  })

  it('a per-method override gets its own budget instead of the class budget', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ methods: { eth_call: { burst: 2, perSecond: 0.5 } } }),
      now: clock.now,
    })
    expect(drain(() => limiter.take(req('https://app.example', 'read', 'eth_call')))).toBe(2)
    expect(limiter.take(req('https://app.example', 'read', 'eth_call'))).toEqual({
      ok: false,
      retryAfterMs: 2000,
      limit: 'origin:eth_call:perSecond',
    })
    // The read class was not charged by eth_call.
    expect(drain(() => limiter.take(req('https://app.example', 'read', 'eth_getBalance')))).toBe(5)
  })

  it('methods named like Object.prototype members do not find an override', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    for (const method of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(limiter.take(req(`https://${method.replace(/_/g, '')}.example`, 'read', method)).ok).toBe(true)
    }
  })

  it('the global limit applies across origins', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ global: { burst: 12, perSecond: 4 } }),
      now: clock.now,
    })
    let passed = 0
    for (let i = 0; i < 100; i++) if (limiter.take(req(`https://o${i}.example`)).ok) passed++
    expect(passed).toBe(12)
    expect(limiter.take(req('https://fresh.example'))).toEqual({
      ok: false,
      retryAfterMs: 250,
      limit: 'global:perSecond',
    })
    clock.advance(250)
    expect(limiter.take(req('https://fresh.example')).ok).toBe(true)
  })

  it('a request refused by a later key consumes nothing from the earlier ones', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ global: { burst: 3, perSecond: 1 } }),
      now: clock.now,
    })
    // Empty the global bucket with other origins.
    for (const o of ['https://x.example', 'https://y.example', 'https://z.example']) {
      expect(limiter.take(req(o)).ok).toBe(true)
    }
    // 100 requests from a fresh origin, all refused by the global bucket…
    for (let i = 0; i < 100; i++)
      expect(limitOf(limiter.take(req('https://victim.example')))).toBe('global:perSecond')
    expect(limiter.stats().originKeys).toBe(3) // …created no bucket…
    // …and once the global bucket refilled, the origin still has its whole burst of 5.
    clock.advance(3000)
    // (Had the 100 refusals charged the origin bucket, it would be ~95 tokens in debt and pass nothing.)
    expect(drain(() => limiter.take(req('https://victim.example')))).toBe(3) // all the global bucket has
    expect(limitOf(limiter.take(req('https://victim.example')))).toBe('global:perSecond')
  })

  it('a request refused by the origin bucket consumes nothing from the domain or global buckets', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ global: { burst: 6, perSecond: 0.001 } }),
      now: clock.now,
    })
    expect(drain(() => limiter.take(req('https://a.evil.example')))).toBe(5)
    for (let i = 0; i < 100; i++)
      expect(limitOf(limiter.take(req('https://a.evil.example')))).toBe('origin:read:perSecond')
    // One global token and 5 domain tokens are left.
    expect(limiter.take(req('https://b.evil.example')).ok).toBe(true)
    expect(limitOf(limiter.take(req('https://c.evil.example')))).toBe('global:perSecond')
  })

  it('reports the longest wait when several buckets refuse', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ global: { burst: 5, perSecond: 0.1 } }),
      now: clock.now,
    })
    expect(drain(() => limiter.take(req('https://app.example')))).toBe(5)
    // origin: 1000 ms; global: 10 000 ms.
    expect(limiter.take(req('https://app.example'))).toEqual({
      ok: false,
      retryAfterMs: 10_000,
      limit: 'global:perSecond',
    })
  })

  it('charges frames per connection, and forgets a released connection', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    expect(drain(() => limiter.takeFrame('c1'))).toBe(3)
    expect(limiter.takeFrame('c1')).toEqual({ ok: false, retryAfterMs: 1000, limit: 'connection:perSecond' })
    expect(limiter.takeFrame('c2').ok).toBe(true)
    expect(limiter.stats().connectionKeys).toBe(2)
    limiter.releaseConnection('c1')
    limiter.releaseConnection('c2')
    expect(limiter.stats().connectionKeys).toBe(0)
  })

  it('enabled: false turns every limit off', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ enabled: false, global: { burst: 1, perSecond: 1 } }),
      now: clock.now,
    })
    for (let i = 0; i < 1000; i++) {
      expect(limiter.take(req('https://app.example', 'sign', 'personal_sign')).ok).toBe(true)
      expect(limiter.takeFrame('c1').ok).toBe(true)
    }
  })

  it('memory stays bounded: at most maxKeys buckets per kind under 1e5 invented origins and connections', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config({ maxKeys: 500 }), now: clock.now })
    for (let i = 0; i < 100_000; i++) {
      limiter.take(req(`https://s${i}.d${i % 7919}.example`))
      limiter.takeFrame(`conn-${i}`)
      if (i % 1000 === 0) clock.advance(1)
    }
    const stats = limiter.stats()
    expect(stats.originKeys).toBeLessThanOrEqual(500)
    expect(stats.domainKeys).toBeLessThanOrEqual(500)
    expect(stats.connectionKeys).toBeLessThanOrEqual(500)
    expect(stats.cachedDomains).toBeLessThanOrEqual(500)
  })

  it('with the defaults, a flooding origin gets at most a few prompts and signatures in any minute', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: defaults, now: clock.now })
    for (const [cost, method, atOnce, perMinute] of [
      ['prompt', 'eth_requestAccounts', 3, 6],
      ['sign', 'personal_sign', 3, 9],
    ] as const) {
      const passedAt: number[] = []
      // Ten minutes of one request every 100 ms.
      for (let i = 0; i < 6000; i++) {
        if (limiter.take(req(`https://${cost}.flood.example`, cost, method)).ok) passedAt.push(clock.now())
        clock.advance(100)
      }
      const first = passedAt[0]!
      expect(passedAt.filter((t) => t === first).length).toBeLessThanOrEqual(atOnce)
      let worst = 0
      for (let i = 0; i < passedAt.length; i++) {
        let j = i
        while (j < passedAt.length && passedAt[j]! < passedAt[i]! + 60_000) j++
        worst = Math.max(worst, j - i)
      }
      expect(worst).toBeGreaterThan(0)
      expect(worst).toBeLessThanOrEqual(perMinute)
      // And over the ten minutes it is throttled to the sustained rate, not the burst.
      expect(passedAt.length).toBeLessThanOrEqual(atOnce + 10 * (perMinute - atOnce))
    }
  })
})

describe('createRequestLimiter: refunds, named budgets, the domain cache and the longest wait', () => {
  it('refund gives the origin, domain and global tokens back', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config({ global: { burst: 3, perSecond: 0.001 } }),
      now: clock.now,
    })
    const r = req('https://a.app.example', 'sign', 'eth_sign')
    expect(limiter.take(r).ok).toBe(true)
    expect(limitOf(limiter.take(r))).toBe('origin:sign:perSecond')
    limiter.refund(r)
    expect(limiter.take(r).ok).toBe(true)
    // The domain got its token back too: a sibling's sign budget is the domain's (factor 2: 2 tokens).
    limiter.refund(r)
    expect(limiter.take(req('https://b.app.example', 'sign', 'eth_sign')).ok).toBe(true)
    expect(limiter.take(req('https://c.app.example', 'sign', 'eth_sign')).ok).toBe(true)
    expect(limitOf(limiter.take(req('https://d.app.example', 'sign', 'eth_sign')))).toBe(
      'domain:sign:perSecond',
    )
    // Global: 3 tokens, one given back: a, b, c spent three, so one more origin passes, then none.
    expect(limiter.take(req('https://other.example', 'sign', 'eth_sign')).ok).toBe(true)
    expect(limitOf(limiter.take(req('https://third.example', 'sign', 'eth_sign')))).toBe('global:perSecond')
    // A refund never fills a bucket past its capacity.
    const fresh = createRequestLimiter({ config: config(), now: clock.now })
    const e = req('https://e.example', 'sign', 'eth_sign')
    expect(fresh.take(e).ok).toBe(true)
    for (let i = 0; i < 5; i++) fresh.refund(e)
    expect(fresh.take(e).ok).toBe(true)
    expect(limitOf(fresh.take(e))).toBe('origin:sign:perSecond')
  })

  it('refund for an origin that is its own domain (no domain bucket) still refunds the origin', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({ config: config(), now: clock.now })
    const r = req('token:cli', 'sign', 'eth_sign')
    expect(limiter.take(r).ok).toBe(true)
    expect(limiter.take(r).ok).toBe(false)
    limiter.refund(r)
    expect(limiter.take(r).ok).toBe(true)
    expect(limiter.stats()).toMatchObject({ originKeys: 1, domainKeys: 0 })
  })

  it('a named budget is its own bucket, apart from the class and the method', () => {
    const clock = clockAt()
    const limiter = createRequestLimiter({
      config: config(),
      now: clock.now,
      extraBudgets: { unlock: { burst: 1, perSecond: 0.5 } },
    })
    const named = { ...req('https://app.example', 'read', 'eth_call'), budget: 'unlock' }
    expect(limiter.take(named).ok).toBe(true)
    expect(limiter.take(named)).toEqual({ ok: false, retryAfterMs: 2000, limit: 'origin:unlock:perSecond' })
    // The read class is untouched; an unknown budget name falls back to the class.
    expect(drain(() => limiter.take(req('https://app.example')))).toBe(5)
    expect(limitOf(limiter.take({ ...req('https://app.example'), budget: 'nope' }))).toBe(
      'origin:read:perSecond',
    )
  })

  it('looks up the registrable domain once per origin and counts the cache', () => {
    const clock = clockAt()
    const seen: string[] = []
    const limiter = createRequestLimiter({
      config: config(),
      now: clock.now,
      domainOf: (origin) => {
        seen.push(origin)
        return 'app.example'
      },
    })
    for (let i = 0; i < 3; i++) limiter.take(req('https://a.app.example'))
    limiter.take(req('https://b.app.example'))
    expect(seen).toEqual(['https://a.app.example', 'https://b.app.example'])
    expect(limiter.stats().cachedDomains).toBe(2)
  })

  it('the domain cache forgets its oldest origin at maxKeys', () => {
    const clock = clockAt()
    const seen: string[] = []
    const limiter = createRequestLimiter({
      config: config({ maxKeys: 2 }),
      now: clock.now,
      domainOf: (origin) => {
        seen.push(origin)
        return null
      },
    })
    for (const o of ['https://a.example', 'https://b.example', 'https://c.example', 'https://b.example'])
      limiter.take(req(o))
    expect(limiter.stats().cachedDomains).toBe(2)
    limiter.take(req('https://a.example'))
    expect(seen).toEqual(['https://a.example', 'https://b.example', 'https://c.example', 'https://a.example'])
  })

  it('on a tie between origin and domain the origin is named; a longer origin wait wins over the domain', () => {
    const clock = clockAt()
    // domainFactor 1: the domain bucket equals the origin bucket, so both refuse with the same wait.
    const tie = createRequestLimiter({ config: config({ domainFactor: 1 }), now: clock.now })
    expect(drain(() => tie.take(req('https://a.app.example')))).toBe(5)
    expect(tie.take(req('https://a.app.example'))).toEqual({
      ok: false,
      retryAfterMs: 1000,
      limit: 'origin:read:perSecond',
    })
    expect(limitOf(tie.take(req('https://b.app.example')))).toBe('domain:read:perSecond')
    // domainFactor 2: two drained origins empty the domain, which refills twice as fast.
    const two = createRequestLimiter({ config: config(), now: clock.now })
    expect(drain(() => two.take(req('https://a.app.example')))).toBe(5)
    expect(drain(() => two.take(req('https://b.app.example')))).toBe(5)
    expect(two.take(req('https://a.app.example'))).toEqual({
      ok: false,
      retryAfterMs: 1000,
      limit: 'origin:read:perSecond',
    })
    expect(two.take(req('https://c.app.example'))).toEqual({
      ok: false,
      retryAfterMs: 500,
      limit: 'domain:read:perSecond',
    })
  })

  it('the global bucket is named when its wait is the longest, and not on a tie or a shorter wait', () => {
    const clock = clockAt()
    const tie = createRequestLimiter({
      config: config({ global: { burst: 1, perSecond: 0.1 } }),
      now: clock.now,
    })
    expect(tie.take(req('token:cli', 'sign', 'eth_sign')).ok).toBe(true)
    expect(tie.take(req('token:cli', 'sign', 'eth_sign'))).toEqual({
      ok: false,
      retryAfterMs: 10_000,
      limit: 'origin:sign:perSecond',
    })
    const shorter = createRequestLimiter({
      config: config({ global: { burst: 1, perSecond: 1 } }),
      now: clock.now,
    })
    expect(shorter.take(req('token:cli', 'sign', 'eth_sign')).ok).toBe(true)
    expect(limitOf(shorter.take(req('token:cli', 'sign', 'eth_sign')))).toBe('origin:sign:perSecond')
    const longest = createRequestLimiter({
      config: config({ global: { burst: 1, perSecond: 0.01 } }),
      now: clock.now,
    })
    expect(longest.take(req('token:cli', 'sign', 'eth_sign')).ok).toBe(true)
    expect(longest.take(req('token:cli', 'sign', 'eth_sign'))).toEqual({
      ok: false,
      retryAfterMs: 100_000,
      limit: 'global:perSecond',
    })
  })
})
