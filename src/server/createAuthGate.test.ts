import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createLogSink } from '../../test/helpers/logSink.js'
import { createMetrics } from '../metrics.js'
import { createAuthGate } from './createAuthGate.js'
import { createTokenStore } from './createTokenStore.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function setup(budget = { burst: 5, perSecond: 1 }) {
  dir = mkdtempSync(join(tmpdir(), 'walletd-auth-'))
  const clock = fakeClock(1_000_000)
  const tokens = createTokenStore({ file: join(dir, 'tokens.json'), now: clock.now })
  const { token } = tokens.create('good')
  let verified = 0
  const counting = {
    verify: (t: string | undefined, o: string | null) => {
      verified++
      return tokens.verify(t, o)
    },
  }
  const sink = createLogSink('debug')
  const metrics = createMetrics({ defaults: false })
  const gate = createAuthGate({
    tokens: counting,
    budget,
    metrics,
    log: sink.logger,
    now: clock.now,
    quietMs: 10_000,
  })
  const wrong = `wdt_${'A'.repeat(43)}`
  return { gate, token, wrong, clock, sink, metrics, verified: () => verified }
}

const failures = async (metrics: ReturnType<typeof createMetrics>) =>
  Object.fromEntries(
    (await metrics.authFailures.get()).values.map((v) => [v.labels.reason as string, v.value]),
  )

describe('createAuthGate', () => {
  test('failures are 401 until the budget is spent, then 429 with Retry-After; the valid token always passes', async () => {
    const { gate, token, wrong, clock, metrics } = setup()
    for (let i = 0; i < 5; i++) expect(gate.check(wrong, null)).toMatchObject({ ok: false, status: 401 })
    expect(gate.check(wrong, null)).toEqual({
      ok: false,
      status: 429,
      reason: 'invalid',
      retryAfterSeconds: 1,
    })
    expect(gate.check(token, null)).toEqual({ ok: true, tokenName: 'good' })
    for (let i = 0; i < 100; i++) expect(gate.check(wrong, null)).toMatchObject({ status: 429 })
    expect(gate.check(token, null)).toEqual({ ok: true, tokenName: 'good' })
    // The budget refills: a second later one failure is a plain 401 again.
    clock.advance(1000)
    expect(gate.check(wrong, null)).toMatchObject({ status: 401 })
    expect(gate.check(wrong, null)).toMatchObject({ status: 429 })
    expect(await failures(metrics)).toEqual({ invalid: 108 })
  })

  test('over budget, a missing or malformed token is refused without being looked up', async () => {
    const { gate, wrong, verified, metrics } = setup({ burst: 2, perSecond: 0.001 })
    gate.check(wrong, null)
    gate.check(wrong, null)
    const before = verified()
    expect(gate.check(undefined, null)).toMatchObject({ status: 429, reason: 'missing' })
    expect(gate.check('nope', null)).toMatchObject({ status: 429, reason: 'malformed' })
    expect(verified()).toBe(before)
    // A well-formed one is still checked (the valid client's path).
    expect(gate.check(wrong, null)).toMatchObject({ status: 429, reason: 'invalid' })
    expect(verified()).toBe(before + 1)
    expect(await failures(metrics)).toEqual({ invalid: 3, missing: 1, malformed: 1 })
  })

  test('logged once per burst, with the count; never the token', () => {
    const { gate, wrong, clock, sink } = setup()
    for (let i = 0; i < 1000; i++) gate.check(wrong, null)
    expect(sink.lines.length).toBe(1)
    clock.advance(10_000)
    gate.check(wrong, null)
    expect(sink.lines.length).toBe(2)
    expect(JSON.parse(sink.lines[1]!)).toMatchObject({
      failures: 1000,
      msg: 'host-token authentication failed',
    })
    expect(sink.text()).not.toContain(wrong)
  })

  test('without a budget (rate limits off) failures are counted and 401, never throttled', () => {
    const open = createAuthGate({
      tokens: { verify: () => null },
      budget: null,
      metrics: createMetrics({ defaults: false }),
      log: createLogSink().logger,
      now: () => 0,
      quietMs: 1000,
    })
    for (let i = 0; i < 50; i++)
      expect(open.check(`wdt_${'B'.repeat(43)}`, null)).toMatchObject({ status: 401 })
  })
})

describe('createAuthGate: reasons and log lines', () => {
  test('an empty token is missing; each line says whether failures were throttled', async () => {
    const { gate, clock, sink, metrics } = setup({ burst: 1, perSecond: 0.001 })
    expect(gate.check('', null)).toMatchObject({ status: 401, reason: 'missing' })
    expect(JSON.parse(sink.lines[0]!)).toMatchObject({ lastReason: 'missing', throttled: false })
    clock.advance(10_000)
    expect(gate.check('', null)).toMatchObject({ status: 429, reason: 'missing' })
    expect(JSON.parse(sink.lines[1]!)).toMatchObject({ lastReason: 'missing', throttled: true })
    expect(await failures(metrics)).toEqual({ missing: 2 })
  })
})
