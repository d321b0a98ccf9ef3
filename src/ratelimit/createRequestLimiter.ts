import type { Config, CostClass } from '../config/schema.js'
import { createKeyedLimiter, type KeyedLimiter } from './createKeyedLimiter.js'
import {
  bucketRefusal,
  consumeBucket,
  newBucketState,
  type Refusal,
  refillBucket,
  refundBucket,
  type TierSpec,
  toTierSpec,
} from './createTieredBucket.js'
import { registrableDomainOf } from './registrableDomainOf.js'
import type { LimitVerdict, RequestLimiter } from './types.js'

export type RateLimitConfig = Config['rateLimit']

export type RequestLimiterOptions = {
  config: RateLimitConfig
  /** Clock in milliseconds (injected). */
  now: () => number
  /** Origin → registrable domain (default: eTLD+1 via tldts, see registrableDomainOf). */
  domainOf?: (origin: string) => string | null
  /** Named budgets a request may be charged to instead of its class (`policy`: what a policy approves). */
  extraBudgets?: Readonly<Record<string, Config['rateLimit']['classes']['read']>>
}

export type RequestLimiterStats = {
  originKeys: number
  domainKeys: number
  connectionKeys: number
  cachedDomains: number
}

export type RequestLimiterWithStats = RequestLimiter & {
  /** Sizes of the bounded maps (each ≤ maxKeys), for tests, metrics and benchmarks. */
  stats(): RequestLimiterStats
}

/**
 * The budgets of one cost class or one overridden method, with their own bucket maps keyed by the
 * origin or domain string itself: a concatenated key would be a fresh string to hash on every
 * lookup (~300 ns each), while `conn.origin` and the cached domain strings keep their hash.
 */
type Budget = {
  label: string
  origin: TierSpec
  domain: TierSpec
  origins: KeyedLimiter
  domains: KeyedLimiter
  /** `origin:<label>` and `domain:<label>` (built once: the refusal path stays allocation-light). */
  originScope: string
  domainScope: string
}

const OK: LimitVerdict = Object.freeze({ ok: true }) as LimitVerdict

/**
 * The daemon's request limiter. `take` charges one request (one batch element) to:
 *
 * - `origin:<class>` — the origin × cost class (`read` | `prompt` | `sign`), or `origin:<method>`
 *   for a method with its own tiers in `config.methods` (an override replaces the class budget
 *   for that method; it is not also charged to the class);
 * - `domain:<class>` — the origin's registrable domain (eTLD+1), `domainFactor` times the origin
 *   budget, shared by all its subdomains; skipped for origins that are their own domain (IPs,
 *   localhost, `token:<name>`), whose origin bucket is the stricter one anyway;
 * - `global` — all requests of all origins.
 *
 * All buckets are checked before any is charged, so a refused request consumes nothing anywhere,
 * and refused traffic creates no bucket. A refusal names the bucket and tier with the longest
 * wait (`origin:read:perSecond`, `domain:sign:perMinute`, `global:perSecond`, …) and that wait,
 * after which the request passes if nothing else drew on those buckets.
 *
 * `takeFrame` charges the per-connection bucket (`connection:<tier>`), before parsing.
 * Every map is bounded by `maxKeys`: origins and domains per class (and per overridden method),
 * connections, and the origin → domain cache.
 */
export function createRequestLimiter({
  config,
  now,
  domainOf = registrableDomainOf,
  extraBudgets = {},
}: RequestLimiterOptions): RequestLimiterWithStats {
  const budgets: Budget[] = []
  const frames = createKeyedLimiter({ maxKeys: config.maxKeys, now })
  const domainCache = new Map<string, string | null>()
  const sum = (f: (b: Budget) => number) => budgets.reduce((n, b) => n + f(b), 0)
  const stats = (): RequestLimiterStats => ({
    originKeys: sum((b) => b.origins.size),
    domainKeys: sum((b) => b.domains.size),
    connectionKeys: frames.size,
    cachedDomains: domainCache.size,
  })

  if (!config.enabled) {
    return { take: () => OK, refund: () => {}, takeFrame: () => OK, releaseConnection: () => {}, stats }
  }

  const budget = (label: string, tier: Config['rateLimit']['classes']['read']): Budget => {
    const b: Budget = {
      label,
      origin: toTierSpec(tier),
      domain: toTierSpec(tier, config.domainFactor),
      origins: createKeyedLimiter({ maxKeys: config.maxKeys, now }),
      domains: createKeyedLimiter({ maxKeys: config.maxKeys, now }),
      originScope: 'origin:' + label,
      domainScope: 'domain:' + label,
    }
    budgets.push(b)
    return b
  }
  const classes: Record<CostClass, Budget> = {
    read: budget('read', config.classes.read),
    prompt: budget('prompt', config.classes.prompt),
    sign: budget('sign', config.classes.sign),
  }
  // A Map, not the config object: a method named `constructor` or `__proto__` must not find Object.prototype.
  const methods = new Map<string, Budget>(
    Object.entries(config.methods).map(([method, tier]) => [method, budget(method, tier)]),
  )
  const named = new Map<string, Budget>(
    Object.entries(extraBudgets).map(([name, tier]) => [name, budget(name, tier)]),
  )
  const budgetFor = (method: string, cost: CostClass, name: string | undefined): Budget =>
    // Stryker disable next-line ConditionalExpression: named.get(undefined) is undefined as well
    (name === undefined ? undefined : named.get(name)) ?? methods.get(method) ?? classes[cost] ?? classes.sign
  const globalSpec = toTierSpec(config.global)
  const globalState = newBucketState(globalSpec, now())
  const connectionSpec = toTierSpec(config.connection)

  function cachedDomainOf(origin: string): string | null {
    const hit = domainCache.get(origin)
    if (hit !== undefined) return hit
    const domain = domainOf(origin)
    if (domainCache.size >= config.maxKeys) {
      const oldest = domainCache.keys().next()
      // Stryker disable next-line ConditionalExpression: at maxKeys (≥ 1) the map is never empty
      if (!oldest.done) domainCache.delete(oldest.value)
    }
    domainCache.set(origin, domain)
    return domain
  }

  const refused = (refusal: Refusal, scope: string): LimitVerdict => ({
    ok: false,
    retryAfterMs: refusal.retryAfterMs,
    limit: scope + ':' + refusal.tier,
  })

  function take({
    origin,
    method,
    cost,
    budget: name,
  }: {
    origin: string
    method: string
    cost: CostClass
    budget?: string | undefined
  }): LimitVerdict {
    const at = now()
    // An unknown cost class (a bug) fails closed onto the strictest class.
    const b = budgetFor(method, cost, name)
    const domain = cachedDomainOf(origin)

    let worst: Refusal | null = null
    // Stryker disable next-line StringLiteral: always overwritten before it is read
    let scope = ''
    const r1 = b.origins.check(origin, b.origin, at)
    // Stryker disable next-line ConditionalExpression: taking a null r1 leaves worst null; scope is then overwritten
    if (r1 !== null) {
      worst = r1
      scope = b.originScope
    }
    if (domain !== null) {
      const r2 = b.domains.check(domain, b.domain, at)
      if (r2 !== null && (worst === null || r2.retryAfterMs > worst.retryAfterMs)) {
        worst = r2
        scope = b.domainScope
      }
    }
    refillBucket(globalSpec, globalState, at)
    const r3 = bucketRefusal(globalSpec, globalState)
    if (r3 !== null && (worst === null || r3.retryAfterMs > worst.retryAfterMs)) {
      worst = r3
      scope = 'global'
    }
    if (worst !== null) return refused(worst, scope)

    b.origins.commit(origin, b.origin, at)
    if (domain !== null) b.domains.commit(domain, b.domain, at)
    consumeBucket(globalSpec, globalState)
    return OK
  }

  function refund({
    origin,
    method,
    cost,
    budget: name,
  }: {
    origin: string
    method: string
    cost: CostClass
    budget?: string | undefined
  }): void {
    const at = now()
    const b = budgetFor(method, cost, name)
    b.origins.refund(origin, b.origin, at)
    const domain = cachedDomainOf(origin)
    // Stryker disable next-line ConditionalExpression: no bucket is ever made for a null domain, so its refund is a no-op
    if (domain !== null) b.domains.refund(domain, b.domain, at)
    refillBucket(globalSpec, globalState, at)
    refundBucket(globalSpec, globalState)
  }

  function takeFrame(connId: string): LimitVerdict {
    const refusal = frames.take(connId, connectionSpec)
    return refusal === null ? OK : refused(refusal, 'connection')
  }

  return {
    take,
    refund,
    takeFrame,
    releaseConnection: (connId) => {
      frames.delete(connId)
    },
    stats,
  }
}
