/** What the table needs of an entry: when it expires and which caller signal may cancel it. */
export type PendingEntry = {
  /** Deadline on the table's clock (ms). */
  readonly deadline: number
  readonly signal: AbortSignal | undefined
}

export type CreatePendingTableParameters<E extends PendingEntry> = {
  /** Called for an entry whose deadline passed (already removed from the table). */
  onExpired(entry: E): void
  /** Called for an entry whose signal aborted (already removed from the table). */
  onAborted(entry: E, signal: AbortSignal): void
  /** How often the deadlines are swept, while the table holds entries (ms). */
  tickMs: number
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number
}

export type PendingTable<K, E extends PendingEntry> = {
  readonly size: number
  /** Adds an entry; its signal (if any) must not be aborted yet — check before sending. */
  add(key: K, entry: E): void
  /** Removes and returns the entry (undefined when it expired, was aborted, or never was). */
  take(key: K): E | undefined
  /** Removes every entry and returns them (a dropped connection fails them all). */
  drain(): E[]
}

/**
 * Requests in flight to an upstream, keyed by their id, with their deadlines and cancellation:
 * - deadlines live in the entries and one coarse timer sweeps them (every `tickMs` while the table
 *   is not empty), so a request costs no `setTimeout`/`clearTimeout` of its own and expires
 *   between its deadline and one tick after it;
 * - a caller's abort signal is hooked once, the first time the table sees it (a WebSocket
 *   connection's signal, shared by all its requests), never per request; when it fires, every
 *   entry carrying it is failed. The hook is never removed: a signal that never fires is dropped
 *   with its connection.
 */
export function createPendingTable<K, E extends PendingEntry>({
  onExpired,
  onAborted,
  tickMs,
  now = () => performance.now(),
}: CreatePendingTableParameters<E>): PendingTable<K, E> {
  const entries = new Map<K, E>()
  const hooked = new WeakSet<AbortSignal>()
  let sweeper: NodeJS.Timeout | undefined

  function sweep() {
    if (entries.size === 0) {
      clearInterval(sweeper)
      sweeper = undefined
      return
    }
    const t = now()
    for (const [key, entry] of entries) {
      if (entry.deadline <= t) {
        entries.delete(key)
        onExpired(entry)
      }
    }
  }

  function hook(signal: AbortSignal) {
    hooked.add(signal)
    signal.addEventListener(
      'abort',
      () => {
        for (const [key, entry] of entries) {
          if (entry.signal === signal) {
            entries.delete(key)
            onAborted(entry, signal)
          }
        }
      },
      { once: true },
    )
  }

  return {
    get size() {
      return entries.size
    },
    add(key, entry) {
      entries.set(key, entry)
      if (entry.signal && !hooked.has(entry.signal)) hook(entry.signal)
      if (sweeper === undefined) {
        sweeper = setInterval(sweep, tickMs)
        sweeper.unref()
      }
    },
    take(key) {
      const entry = entries.get(key)
      if (entry !== undefined) entries.delete(key)
      return entry
    },
    drain() {
      const all = [...entries.values()]
      entries.clear()
      return all
    },
  }
}

/**
 * The sweep interval for a request timeout: a tenth of it, between 10 ms and 1 s (a 30 s timeout
 * fires within 30–31 s).
 */
export function sweepTickFor(timeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.floor(timeoutMs / 10)))
}
