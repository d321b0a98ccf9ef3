import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

/**
 * Prometheus metrics on a registry of walletd's own (never the global one). Label values are
 * bounded: methods not in the method table are counted as `unknown`.
 */
export function createMetrics({ defaults = true }: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'walletd_' })
  const connectionsActive = new Gauge({
    name: 'walletd_connections_active',
    help: 'Open client connections.',
    labelNames: ['transport'] as const,
    registers: [registry],
  })
  const connectionsTotal = new Counter({
    name: 'walletd_connections_total',
    help: 'Connection attempts by outcome (accepted, or why refused).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const requestsTotal = new Counter({
    name: 'walletd_requests_total',
    help: 'JSON-RPC requests by method and outcome (ok, or the error code).',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  })
  const requestDuration = new Histogram({
    name: 'walletd_request_duration_seconds',
    help: 'Time from a parsed request to its response, by method.',
    labelNames: ['method'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [registry],
  })
  const upstreamDuration = new Histogram({
    name: 'walletd_upstream_request_duration_seconds',
    help: 'Upstream round trips by chain and outcome.',
    labelNames: ['chain', 'outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [registry],
  })
  const upstreamConnected = new Gauge({
    name: 'walletd_upstream_connected',
    help: '1 when the chain upstream is connected.',
    labelNames: ['chain'] as const,
    registers: [registry],
  })
  const rateLimited = new Counter({
    name: 'walletd_ratelimit_rejections_total',
    help: 'Requests refused by a rate limit, by tier.',
    labelNames: ['limit'] as const,
    registers: [registry],
  })
  const approvals = new Counter({
    name: 'walletd_approvals_total',
    help: 'Approval decisions by method and decision.',
    labelNames: ['method', 'decision'] as const,
    registers: [registry],
  })
  const errors = new Counter({
    name: 'walletd_errors_total',
    help: 'Errors answered, by code.',
    labelNames: ['code'] as const,
    registers: [registry],
  })
  const authFailures = new Counter({
    name: 'walletd_auth_failures_total',
    help: 'Failed host-token authentications, by reason (missing, malformed, invalid).',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  const subscriptionsActive = new Gauge({
    name: 'walletd_subscriptions_active',
    help: 'Live eth_subscribe subscriptions.',
    registers: [registry],
  })
  return {
    registry,
    connectionsActive,
    connectionsTotal,
    requestsTotal,
    requestDuration,
    upstreamDuration,
    upstreamConnected,
    rateLimited,
    approvals,
    errors,
    subscriptionsActive,
    authFailures,
  }
}
