import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { describe, expect, test } from 'vitest'
import { createMetrics } from './metrics.js'

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30]

/** The metrics as plain prom-client objects (how walletd registered them before): the reference output. */
function reference() {
  const registry = new Registry()
  const r = [registry]
  return {
    registry,
    connectionsActive: new Gauge({
      name: 'walletd_connections_active',
      help: 'Open client connections.',
      labelNames: ['transport'],
      registers: r,
    }),
    connectionsTotal: new Counter({
      name: 'walletd_connections_total',
      help: 'Connection attempts by outcome (accepted, or why refused).',
      labelNames: ['outcome'],
      registers: r,
    }),
    requestsTotal: new Counter({
      name: 'walletd_requests_total',
      help: 'JSON-RPC requests by method and outcome (ok, or the error code).',
      labelNames: ['method', 'outcome'],
      registers: r,
    }),
    requestDuration: new Histogram({
      name: 'walletd_request_duration_seconds',
      help: 'Time from a parsed request to its response, by method.',
      labelNames: ['method'],
      buckets: BUCKETS,
      registers: r,
    }),
    upstreamDuration: new Histogram({
      name: 'walletd_upstream_request_duration_seconds',
      help: 'Upstream round trips by chain and outcome.',
      labelNames: ['chain', 'outcome'],
      buckets: BUCKETS,
      registers: r,
    }),
    upstreamConnected: new Gauge({
      name: 'walletd_upstream_connected',
      help: '1 when the chain upstream is connected.',
      labelNames: ['chain'],
      registers: r,
    }),
    rateLimited: new Counter({
      name: 'walletd_ratelimit_rejections_total',
      help: 'Requests refused by a rate limit, by tier.',
      labelNames: ['limit'],
      registers: r,
    }),
    approvals: new Counter({
      name: 'walletd_approvals_total',
      help: 'Approval decisions by method and decision.',
      labelNames: ['method', 'decision'],
      registers: r,
    }),
    errors: new Counter({
      name: 'walletd_errors_total',
      help: 'Errors answered, by code.',
      labelNames: ['code'],
      registers: r,
    }),
    subscriptionsActive: new Gauge({
      name: 'walletd_subscriptions_active',
      help: 'Live eth_subscribe subscriptions.',
      registers: r,
    }),
    authFailures: new Counter({
      name: 'walletd_auth_failures_total',
      help: 'Failed host-token authentications, by reason (missing, malformed, invalid).',
      labelNames: ['reason'],
      registers: r,
    }),
  }
}

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

type AnyMetrics = ReturnType<typeof reference> | ReturnType<typeof createMetrics>

/** The same calls, in the same order, as walletd's code makes them (labels() children and label objects). */
function workload(seed: number): Array<(m: AnyMetrics) => void> {
  const rnd = lcg(seed)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const methods = ['eth_blockNumber', 'eth_call', 'personal_sign', 'unknown', 'invalid']
  const steps: Array<(m: AnyMetrics) => void> = []
  for (let i = 0; i < 2000; i++) {
    const method = pick(methods)
    // Durations across every bucket, exact bounds included, and above the last one.
    const seconds =
      pick([0, 0.0001, 0.0003, 0.001, 0.02, 0.5, 1, 5, 29.9, 30, 31, 120]) * (rnd() < 0.5 ? 1 : 1.0001)
    // Every choice is made here, once: both registries get the very same calls.
    const outcome = pick(['-32602', '4001'])
    const upstreamOutcome = pick(['ok', 'timeout', 'rpc_error'])
    const up = rnd() < 0.6
    const chain = pick(['1', '31337'])
    const connected = rnd() < 0.5 ? 0 : 1
    const limit = pick(['connection', 'origin:read:perSecond', 'inflight'])
    const connection = pick(['accepted', 'bad_host', 'unauthorized'])
    const subscriptions = Math.floor(rnd() * 5)
    const code = pick(['-32602', '4200'])
    const decision = pick(['approved', 'rejected'])
    switch (Math.floor(rnd() * 10)) {
      case 0:
        steps.push((m) => m.requestsTotal.labels(method, 'ok').inc())
        break
      case 1:
        steps.push((m) => m.requestsTotal.inc({ method, outcome }))
        break
      case 2:
        steps.push((m) => m.requestDuration.labels(method).observe(seconds))
        break
      case 3:
        steps.push((m) => m.upstreamDuration.labels('31337', upstreamOutcome).observe(seconds))
        break
      case 4:
        steps.push((m) => m.connectionsActive.labels('ws')[up ? 'inc' : 'dec']())
        break
      case 5:
        steps.push((m) => m.upstreamConnected.labels(chain).set(connected))
        break
      case 6:
        steps.push((m) => m.rateLimited.inc({ limit }))
        break
      case 7:
        steps.push((m) => m.connectionsTotal.inc({ outcome: connection }))
        break
      case 8:
        steps.push((m) => m.subscriptionsActive.set(subscriptions))
        break
      default:
        steps.push((m) => m.errors.inc({ code }))
        steps.push((m) => m.approvals.inc({ method, decision }))
    }
  }
  return steps
}

describe('createMetrics', () => {
  test('an empty registry renders as prom-client renders the same metrics', async () => {
    expect(await createMetrics({ defaults: false }).registry.metrics()).toBe(
      await reference().registry.metrics(),
    )
  })

  test.each([1, 2, 3])(
    'renders /metrics exactly as prom-client fed the same calls (seed %i)',
    async (seed) => {
      const fast = createMetrics({ defaults: false })
      const ref = reference()
      const steps = workload(seed)
      for (const [i, step] of steps.entries()) {
        step(fast)
        step(ref)
        // Scrapes in between: exporting must not disturb what is counted next.
        if (i % 500 === 499) expect(await fast.registry.metrics()).toBe(await ref.registry.metrics())
      }
      expect(await fast.registry.metrics()).toBe(await ref.registry.metrics())
      expect(await fast.registry.getMetricsAsJSON()).toEqual(await ref.registry.getMetricsAsJSON())
    },
  )

  test('a wrong label set is refused, as prom-client refuses it', () => {
    const m = createMetrics({ defaults: false })
    expect(() => m.requestsTotal.labels('only-one')).toThrow()
    expect(() => m.connectionsTotal.inc({ nope: 'x' } as never)).toThrow()
  })
})
