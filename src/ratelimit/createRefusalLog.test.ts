import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createRefusalLog } from './createRefusalLog.js'

describe('createRefusalLog', () => {
  it('logs the first refusal of a key, then folds the rest into one line per quiet period', () => {
    const clock = fakeClock()
    const log = createRefusalLog({ quietMs: 10_000, now: clock.now })
    expect(log.refused('a')).toBe(1)
    for (let i = 0; i < 99; i++) expect(log.refused('a')).toBe(0)
    expect(log.refused('b')).toBe(1) // other keys have their own burst
    clock.advance(9_999)
    expect(log.refused('a')).toBe(0)
    clock.advance(1)
    expect(log.refused('a')).toBe(101) // 99 + the one at 9 999 ms + this one
    expect(log.refused('a')).toBe(0)
  })

  it('caps lines across keys, so invented keys cannot flood the log', () => {
    const clock = fakeClock()
    const log = createRefusalLog({ quietMs: 10_000, linesBurst: 5, linesPerSecond: 1, now: clock.now })
    let lines = 0
    for (let i = 0; i < 10_000; i++) if (log.refused(`k${i}`) > 0) lines++
    expect(lines).toBe(5)
    clock.advance(1000)
    expect(log.refused('k9999')).toBe(2) // its suppressed refusal is reported with the next line
  })

  it('remembers at most maxKeys keys', () => {
    const clock = fakeClock()
    const log = createRefusalLog({ quietMs: 10_000, maxKeys: 3, now: clock.now })
    for (const k of ['a', 'b', 'c', 'd']) log.refused(k)
    // `a` was forgotten, so its next refusal starts a new burst.
    expect(log.refused('a')).toBe(1)
    expect(log.refused('d')).toBe(0)
  })
})
