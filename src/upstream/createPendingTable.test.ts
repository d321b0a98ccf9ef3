import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createPendingTable, type PendingEntry, sweepTickFor } from './createPendingTable.js'

type Entry = PendingEntry & { name: string }

function setup() {
  let t = 0
  const expired: string[] = []
  const aborted: Array<[string, unknown]> = []
  const table = createPendingTable<number, Entry>({
    tickMs: 100,
    now: () => t,
    onExpired: (e) => expired.push(e.name),
    onAborted: (e, signal) => aborted.push([e.name, signal.reason]),
  })
  return {
    table,
    expired,
    aborted,
    /** Moves the clock and runs the sweep timer. */
    advance(ms: number) {
      t += ms
      vi.advanceTimersByTime(ms)
    },
    at: (ms: number) => t + ms,
  }
}

describe('createPendingTable', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('one sweep timer expires entries between their deadline and a tick after it', () => {
    vi.useFakeTimers()
    const { table, expired, advance, at } = setup()
    table.add(1, { name: 'a', deadline: at(250), signal: undefined })
    table.add(2, { name: 'b', deadline: at(1000), signal: undefined })
    expect(vi.getTimerCount()).toBe(1)
    advance(200)
    expect(expired).toEqual([])
    advance(100)
    expect(expired).toEqual(['a'])
    expect(table.size).toBe(1)
    advance(700)
    expect(expired).toEqual(['a', 'b'])
    // An empty table stops its timer at the next tick.
    advance(100)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('take removes an entry, so it neither expires nor aborts', () => {
    vi.useFakeTimers()
    const { table, expired, aborted, advance, at } = setup()
    const ac = new AbortController()
    table.add(1, { name: 'a', deadline: at(100), signal: ac.signal })
    expect(table.take(1)?.name).toBe('a')
    expect(table.take(1)).toBeUndefined()
    advance(500)
    ac.abort()
    expect(expired).toEqual([])
    expect(aborted).toEqual([])
  })

  test("a caller's signal is hooked once, however many requests carry it; abort fails all of them", () => {
    vi.useFakeTimers()
    const { table, aborted, at } = setup()
    const conn = new AbortController()
    const other = new AbortController()
    for (let i = 0; i < 50; i++) table.add(i, { name: `c${i}`, deadline: at(10_000), signal: conn.signal })
    table.add(100, { name: 'other', deadline: at(10_000), signal: other.signal })
    table.add(101, { name: 'none', deadline: at(10_000), signal: undefined })
    expect(getEventListeners(conn.signal, 'abort')).toHaveLength(1)
    table.take(3)
    conn.abort('closed')
    expect(aborted.map(([name]) => name)).toEqual(
      Array.from({ length: 50 }, (_, i) => `c${i}`).filter((n) => n !== 'c3'),
    )
    expect(aborted.every(([, reason]) => reason === 'closed')).toBe(true)
    expect(table.size).toBe(2)
    expect(table.drain().map((e) => e.name)).toEqual(['other', 'none'])
    expect(table.size).toBe(0)
  })

  test('the sweep interval is a tenth of the timeout, within 10 ms and 1 s', () => {
    expect(sweepTickFor(30_000)).toBe(1000)
    expect(sweepTickFor(2000)).toBe(200)
    expect(sweepTickFor(50)).toBe(10)
  })
})
