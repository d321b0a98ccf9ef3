import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { LimitExceededError } from '../../errors/rpc.js'
import { toJsonRpcError } from '../../errors/toJsonRpcError.js'
import { createMetrics } from '../../metrics.js'
import { createRequestLimiter, type RateLimitConfig } from '../../ratelimit/createRequestLimiter.js'
import type { Services } from '../services.js'
import type { Connection, MethodDefinition, ResolvedContext } from '../types.js'
import { createRateLimitStep } from './rateLimit.js'

const rateLimit: RateLimitConfig = {
  enabled: true,
  classes: {
    read: { burst: 2, perSecond: 1 },
    prompt: { burst: 1, perSecond: 0.1 },
    sign: { burst: 1, perSecond: 0.1 },
  },
  methods: {},
  domainFactor: 2,
  connection: { burst: 100, perSecond: 100 },
  global: { burst: 1000, perSecond: 1000 },
  authFailures: { burst: 100, perSecond: 1 },
  maxKeys: 100,
  logQuietMs: 10_000,
}

function setup() {
  let t = 0
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      cb()
    },
  })
  const log = pino({ level: 'info' }, sink)
  const metrics = createMetrics({ defaults: false })
  const limiter = createRequestLimiter({ config: rateLimit, now: clock.now })
  const step = createRateLimitStep({
    limiter,
    metrics,
    now: clock.now,
    config: { rateLimit },
    policy: null,
  } as unknown as Services)
  const method = { method: 'eth_blockNumber', cost: 'read' } as MethodDefinition
  const ctxFor = (origin: string): ResolvedContext => ({
    request: { jsonrpc: '2.0', id: 1, method: method.method },
    conn: { id: 'c1', origin, log } as unknown as Connection,
    log,
    signal: new AbortController().signal,
    session: undefined as never,
    method,
  })
  // A read has no approval: the step is one synchronous check, then the rest of the pipeline.
  const plan = step.plan(method)!
  const run = async (origin: string) => {
    plan.check!(ctxFor(origin))
    return 'ran'
  }
  return { clock, lines, metrics, run }
}

describe('createRateLimitMiddleware', () => {
  it('passes within budget and refuses with -32005 { retryAfterMs, limit } without calling next', async () => {
    const { run } = setup()
    await expect(run('https://app.example')).resolves.toBe('ran')
    await expect(run('https://app.example')).resolves.toBe('ran')
    const err = await run('https://app.example').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LimitExceededError)
    expect(toJsonRpcError(err)).toMatchObject({
      code: -32005,
      data: { retryAfterMs: 1000, limit: 'origin:read:perSecond' },
    })
  })

  it('counts refusals in metrics by limit and tier', async () => {
    const { run, metrics } = setup()
    for (let i = 0; i < 7; i++) await run('https://app.example').catch(() => {})
    const values = (await metrics.rateLimited.get()).values
    expect(values).toEqual([{ labels: { limit: 'origin:read:perSecond' }, value: 5 }])
  })

  it('logs a burst of refusals once, then once per quiet period with the count', async () => {
    const { run, lines, clock } = setup()
    for (let i = 0; i < 502; i++) await run('https://app.example').catch(() => {})
    await run('https://other.example')
    await run('https://other.example')
    for (let i = 0; i < 3; i++) await run('https://other.example').catch(() => {})
    const warned = () => lines.filter((l) => l.msg === 'rate limit exceeded')
    expect(warned()).toHaveLength(2)
    expect(warned()[0]).toMatchObject({
      origin: 'https://app.example',
      limit: 'origin:read:perSecond',
      refusals: 1,
    })
    expect(warned()[1]).toMatchObject({ origin: 'https://other.example', refusals: 1 })
    clock.advance(10_000)
    for (let i = 0; i < 3; i++) await run('https://app.example').catch(() => {})
    expect(warned()).toHaveLength(3)
    // The 499 suppressed ones plus this one; then nothing for the next quiet period.
    expect(warned()[2]).toMatchObject({ origin: 'https://app.example', refusals: 500 })
  })
})
