import type { FastifyInstance } from 'fastify'
import type { DevChainStatus } from '../../dev/superviseAnvil.js'
import type { Services } from '../../rpc/services.js'
import type { ConnectionRegistry } from '../createConnectionRegistry.js'

export type HealthReport = {
  status: 'ok' | 'degraded'
  ready: boolean
  version: string
  pid: number
  uptimeSeconds: number
  connections: number
  chains: { chainId: number; name: string; connected: boolean; transport: 'ws' | 'http' }[]
  signer: { unlocked: boolean; accounts: number }
  /** Who can decide approvals: `policy`, `terminal`, `cli`, `notification`; empty when nobody. */
  approvers: string[]
  /** Dev mode only: the supervised Anvil (down while it is being restarted, and why). */
  devChain?: DevChainStatus
  /** Why walletd cannot sign (or is degraded), one short line each; empty when ready. */
  notReady: string[]
}

/**
 * Ready means able to sign: an account is unlocked, every chain's upstream is reachable (the dev
 * chain running) and an approver or policy can decide; `notReady` says what is missing. The
 * report names no origins, accounts or tokens.
 */
export function healthReport(
  services: Services,
  connections: ConnectionRegistry,
  version: string,
  startedAt: number,
  devChain: (() => DevChainStatus) | null = null,
): HealthReport {
  const chains = services.chains.list().map((c) => {
    const up = services.upstreams.get(c.chainId)
    const st = up?.status()
    return {
      chainId: c.chainId,
      name: c.name,
      connected: st?.connected ?? false,
      transport: st?.transport ?? 'http',
    }
  })
  const accounts = services.signer?.accounts().length ?? 0
  const dev = devChain?.()
  const notReady: string[] = []
  if (dev && !dev.running) notReady.push(`dev chain down: ${dev.reason ?? 'Anvil is not running'}`)
  if (chains.length === 0) notReady.push('no chain is configured')
  for (const c of chains)
    if (!c.connected) notReady.push(`the upstream of chain ${c.chainId} is not reachable`)
  const upstreamsOk = chains.length > 0 && chains.every((c) => c.connected) && (dev?.running ?? true)
  if (accounts === 0) notReady.push('no account is unlocked')
  if (!services.approvals.canDecide)
    notReady.push('no approver can decide (start with --policy or an approver)')
  // Able to sign: keys unlocked, every upstream reachable, and someone (or a policy) to approve.
  const ready = notReady.length === 0
  return {
    status: upstreamsOk ? 'ok' : 'degraded',
    ready,
    version,
    pid: process.pid,
    uptimeSeconds: Math.round((services.now() - startedAt) / 1000),
    connections: connections.total,
    chains,
    signer: { unlocked: accounts > 0, accounts },
    approvers: services.approvals.canDecide ? services.approvals.approverNames : [],
    ...(dev ? { devChain: dev } : {}),
    notReady,
  }
}

export function registerHealth(
  app: FastifyInstance,
  {
    services,
    connections,
    version,
    startedAt,
    devChain,
  }: {
    services: Services
    connections: ConnectionRegistry
    version: string
    startedAt: number
    devChain: (() => DevChainStatus) | null
  },
) {
  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const report = healthReport(services, connections, version, startedAt, devChain)
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ready: report.ready, status: report.status, notReady: report.notReady })
  })
  app.get('/health', async (_req, reply) => {
    const report = healthReport(services, connections, version, startedAt, devChain)
    return reply
      .code(report.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(report)
  })
  app.get('/metrics', async (_req, reply) => {
    const text = await services.metrics.registry.metrics()
    return reply
      .header('content-type', services.metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(text)
  })
}
