import type { Logger } from 'pino'
import type { RateTier } from '../config/schema.js'
import type { Metrics } from '../metrics.js'
import { createRefusalLog } from '../ratelimit/createRefusalLog.js'
import { createTokenBucket } from '../ratelimit/createTokenBucket.js'
import { isWellFormedToken, type TokenStore } from './createTokenStore.js'

export type AuthFailureReason = 'missing' | 'malformed' | 'invalid'

export type AuthVerdict =
  | { ok: true; tokenName: string }
  /** 401: no valid token. */
  | { ok: false; status: 401; reason: AuthFailureReason }
  /** 429: failures are over budget; retry after this many seconds. */
  | { ok: false; status: 429; reason: AuthFailureReason; retryAfterSeconds: number }

export type AuthGateOptions = {
  tokens: Pick<TokenStore, 'verify'>
  /** The global budget of failed authentications (`rateLimit.authFailures`); null: no throttle. */
  budget: RateTier | null
  metrics: Metrics
  log: Logger
  now: () => number
  /** One log line per this interval, with the count of failures since the last one. */
  quietMs: number
}

/**
 * Host-token checks, with failures counted (`walletd_auth_failures_total{reason}`), logged once per
 * burst (never the token), and throttled globally: every failure takes from one token bucket; when
 * it is empty, failures get 429 with `Retry-After` instead of 401, and a missing or malformed token
 * is refused without being looked up at all. A well-formed token is still checked while throttled:
 * the check costs the same for every token (one SHA-256, a constant-time compare with each stored
 * hash), so the valid client's path never closes — a flood of wrong tokens cannot lock it out. (A
 * token has 256 random bits: guessing is hopeless at any rate; the throttle bounds the noise.)
 */
export function createAuthGate({ tokens, budget, metrics, log, now, quietMs }: AuthGateOptions) {
  const bucket = budget
    ? createTokenBucket({ capacity: budget.burst, refillPerSecond: budget.perSecond, now })
    : null
  const lines = createRefusalLog({ quietMs, now })
  return {
    /** `lookup` checks the token another way (a token URL: only tokens made with `--url`). */
    check(
      token: string | undefined,
      origin: string | null,
      lookup: (token: string | undefined) => string | null = (t) => tokens.verify(t, origin),
    ): AuthVerdict {
      const waitMs = bucket?.waitMs() ?? 0
      const wellFormed = token !== undefined && isWellFormedToken(token)
      // Over budget, only a well-formed token is worth a look.
      const tokenName = waitMs > 0 && !wellFormed ? null : lookup(token)
      if (tokenName !== null) return { ok: true, tokenName }
      const reason: AuthFailureReason =
        token === undefined || token === '' ? 'missing' : wellFormed ? 'invalid' : 'malformed'
      metrics.authFailures.inc({ reason })
      bucket?.take()
      const count = lines.refused('auth')
      if (count > 0) {
        log.warn(
          { failures: count, lastReason: reason, throttled: waitMs > 0 },
          'host-token authentication failed',
        )
      }
      if (waitMs > 0)
        return { ok: false, status: 429, reason, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
      return { ok: false, status: 401, reason }
    },
  }
}

export type AuthGate = ReturnType<typeof createAuthGate>
