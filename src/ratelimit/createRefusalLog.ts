import { createTokenBucket } from './createTokenBucket.js'

export type RefusalLogOptions = {
  /** After a key was logged, further refusals of it are only counted for this long. */
  quietMs: number
  /** Keys remembered at most (oldest forgotten first). Default 10 000. */
  maxKeys?: number
  /** Log lines allowed at once across all keys, and refilled per second (defaults 20 and 1). */
  linesBurst?: number
  linesPerSecond?: number
  now: () => number
}

export type RefusalLog = {
  /**
   * A refusal for `key` happened. Returns the number of refusals to report in a log line (this
   * one plus those suppressed since the key's last line), or 0 when this one should not be logged.
   */
  refused(key: string): number
}

/**
 * "Log once per burst": the first refusal of a key is logged; later ones are counted and folded
 * into the next line, at most one per `quietMs` per key. A line budget across all keys stops an
 * attacker who invents keys from flooding the log (suppressed lines are counted into the next
 * line for that key). Memory is bounded by `maxKeys`.
 */
export function createRefusalLog({
  quietMs,
  maxKeys = 10_000,
  linesBurst = 20,
  linesPerSecond = 1,
  now,
}: RefusalLogOptions): RefusalLog {
  const keys = new Map<string, { loggedAt: number; pending: number }>()
  const lines = createTokenBucket({ capacity: linesBurst, refillPerSecond: linesPerSecond, now })
  return {
    refused(key) {
      const at = now()
      let entry = keys.get(key)
      if (entry === undefined) {
        if (keys.size >= maxKeys) {
          const oldest = keys.keys().next()
          // Stryker disable next-line ConditionalExpression: at maxKeys (≥ 1) the map is never empty
          if (!oldest.done) keys.delete(oldest.value)
        }
        entry = { loggedAt: Number.NEGATIVE_INFINITY, pending: 0 }
        keys.set(key, entry)
      }
      entry.pending++
      if (at - entry.loggedAt < quietMs || lines.take() !== 0) return 0
      const count = entry.pending
      entry.pending = 0
      entry.loggedAt = at
      // Most recently logged last: the oldest entry is the one to forget.
      keys.delete(key)
      keys.set(key, entry)
      return count
    },
  }
}
