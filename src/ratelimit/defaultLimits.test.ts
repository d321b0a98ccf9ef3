import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { ConfigSchema } from '../config/schema.js'
import { createRequestLimiter } from './createRequestLimiter.js'

/**
 * The shipped defaults (config/default.json) against the clients they are meant for, on a fake
 * clock: a script reading in a loop is never throttled; prompts and signatures stay strict. What
 * each default protects is in docs/configuration.md ("What the default limits protect").
 */
const defaults = ConfigSchema.parse(
  JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8')),
).rateLimit

describe('default limits', () => {
  test('a CI script calling eth_call in a loop (5,000/s for two minutes, one socket) is never refused', () => {
    const clock = fakeClock(1_000_000)
    const limiter = createRequestLimiter({ config: defaults, now: clock.now })
    let refused = 0
    for (let i = 0; i < 5000 * 120; i++) {
      if (i % 5 === 0) clock.advance(1) // 5 requests per ms
      if (!limiter.takeFrame('ci-socket').ok) refused++
      if (!limiter.take({ origin: 'token:ci', method: 'eth_call', cost: 'read', connId: 'ci-socket' }).ok)
        refused++
    }
    expect(refused).toBe(0)
  })

  test('a test suite firing 10,000 reads at once is not refused either', () => {
    const clock = fakeClock(1_000_000)
    const limiter = createRequestLimiter({ config: defaults, now: clock.now })
    const verdicts = Array.from({ length: 10_000 }, () =>
      limiter.take({ origin: 'http://localhost:5173', method: 'eth_getBalance', cost: 'read', connId: 'c' }),
    )
    expect(verdicts.filter((v) => !v.ok)).toEqual([])
  })

  test('one origin cannot forward more than its read budget: past it, -32005 with a retry time', () => {
    const clock = fakeClock(1_000_000)
    const limiter = createRequestLimiter({ config: defaults, now: clock.now })
    const read = () =>
      limiter.take({ origin: 'https://flood.example', method: 'eth_call', cost: 'read', connId: 'f' })
    let passed = 0
    while (read().ok) passed++
    expect(passed).toBe(defaults.classes.read.burst)
    const refusal = read()
    expect(refusal).toMatchObject({ ok: false, limit: 'origin:read:perSecond' })
  })

  test('prompts and signatures stay strict: a fourth at once is refused', () => {
    const clock = fakeClock(1_000_000)
    const limiter = createRequestLimiter({ config: defaults, now: clock.now })
    for (const [cost, method] of [
      ['sign', 'personal_sign'],
      ['prompt', 'eth_requestAccounts'],
    ] as const) {
      const take = () => limiter.take({ origin: 'https://app.example', method, cost, connId: 'c' })
      expect([take(), take(), take()].every((v) => v.ok)).toBe(true)
      expect(take()).toMatchObject({ ok: false, limit: `origin:${cost}:perSecond` })
    }
  })
})
