import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createLogSink } from '../../test/helpers/logSink.js'
import { LimitExceededError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { createRefusalReporter } from './createRefusalReporter.js'

describe('createRefusalReporter', () => {
  it('counts every refusal, logs one line per burst per key, and returns the -32005 to send', () => {
    const clock = fakeClock()
    const counted: string[] = []
    const sink = createLogSink('info')
    const reporter = createRefusalReporter({
      counter: { inc: ({ limit }) => counted.push(limit) },
      quietMs: 10_000,
      now: clock.now,
    })
    const refuse = () =>
      reporter.refuse({ key: 'https://a.example', limit: 'inflight', retryAfterMs: 100, log: sink.logger })
    const first = refuse()
    for (let i = 0; i < 9; i++) refuse()
    expect(first).toBeInstanceOf(LimitExceededError)
    expect(toJsonRpcError(first)).toEqual({
      code: -32005,
      message: 'Rate limit exceeded (inflight); retry in 100 ms.',
      data: { retryAfterMs: 100, limit: 'inflight' },
    })
    expect(counted).toHaveLength(10)
    clock.advance(10_000)
    refuse()
    const lines = sink
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.msg, l.limit, l.refusals])).toEqual([
      ['rate limit exceeded', 'inflight', 1],
      ['rate limit exceeded', 'inflight', 10],
    ])
  })

  it('takes a message and extra log fields', () => {
    const sink = createLogSink('info')
    const reporter = createRefusalReporter({ counter: { inc: () => {} }, quietMs: 1, now: () => 0 })
    const err = reporter.refuse({
      key: 'k',
      limit: 'connection:perSecond',
      retryAfterMs: 5,
      log: sink.logger,
      message: 'Slow down.',
      fields: { method: 'eth_call' },
    })
    expect(err.shortMessage).toBe('Slow down.')
    expect(JSON.parse(sink.text().trim())).toMatchObject({
      method: 'eth_call',
      limit: 'connection:perSecond',
    })
  })
})
