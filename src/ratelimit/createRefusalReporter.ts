import type { Logger } from 'pino'
import { LimitExceededError } from '../errors/rpc.js'
import { createRefusalLog } from './createRefusalLog.js'

export type RefusalReporterOptions = {
  /** Where refusals are counted, by limit (the `walletd_ratelimit_rejections_total` counter). */
  counter: { inc(labels: { limit: string }): void }
  /** A key is logged once, then at most once per this interval (with the count since). */
  quietMs: number
  now: () => number
}

export type Refusal = {
  /** What the log line is folded by (an origin, or a limit and an origin). */
  key: string
  /** The limit that refused (`connection:perSecond`, `inflight`, `origin:sign:perMinute`, …). */
  limit: string
  retryAfterMs: number
  log: Logger
  /** The error message (default: "Rate limit exceeded (<limit>); retry in <n> ms."). */
  message?: string
  /** Extra fields of the log line. */
  fields?: Record<string, unknown>
}

export type RefusalReporter = {
  /**
   * Counts one refusal in metrics, logs it (warn) once per burst per key with the number of
   * refusals folded in, and returns the -32005 to answer with (`data: { retryAfterMs, limit }`).
   */
  refuse(refusal: Refusal): InstanceType<typeof LimitExceededError>
}

/**
 * The one way a limit refusal is reported, whoever refused: the connection layer (frame budget,
 * in-flight cap) and the pipeline's rate-limit step. Every refusal is counted; the log gets one
 * line per burst per key, never one per request.
 */
export function createRefusalReporter({ counter, quietMs, now }: RefusalReporterOptions): RefusalReporter {
  const lines = createRefusalLog({ quietMs, now })
  return {
    refuse({ key, limit, retryAfterMs, log, message, fields }) {
      counter.inc({ limit })
      const count = lines.refused(key)
      if (count > 0) log.warn({ ...fields, limit, retryAfterMs, refusals: count }, 'rate limit exceeded')
      return new LimitExceededError({
        message: message ?? `Rate limit exceeded (${limit}); retry in ${retryAfterMs} ms.`,
        data: { retryAfterMs, limit },
      })
    },
  }
}
