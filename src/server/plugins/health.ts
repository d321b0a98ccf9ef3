import type { FastifyInstance } from 'fastify'
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
  /** Who can decide approvals: `terminal`, `cli`, `notification`, `policy`; empty when nobody. */
  approvers: string[]
  /** Why walletd cannot sign yet (empty when ready). */
  notReady: string[]
}

/**
 * Ready means able to sign: an account is unlocked, every chain's upstream is reachable and an
 * approver or policy can decide; `notReady` says what is missing. The report names no origins,
 * accounts or tokens.
 */
export function healthReport(
  services: Services,
  connections: ConnectionRegistry,
  version: string,
  startedAt: number,
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
  const upstreamsOk = chains.length > 0 && chains.every((c) => c.connected)
  // Able to sign: keys unlocked, every upstream reachable, and someone (or a policy) to approve.
  const notReady: string[] = []
  if (accounts === 0) notReady.push('no account is unlocked')
  for (const c of chains)
    if (!c.connected) notReady.push(`the upstream of chain ${c.chainId} is not reachable`)
  if (chains.length === 0) notReady.push('no chain is configured')
  if (!services.approvals.canDecide)
    notReady.push('no approver can decide (start with --policy or an approver)')
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
  }: { services: Services; connections: ConnectionRegistry; version: string; startedAt: number },
) {
  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const report = healthReport(services, connections, version, startedAt)
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ready: report.ready, status: report.status, notReady: report.notReady })
  })
  app.get('/health', async (_req, reply) => {
    const report = healthReport(services, connections, version, startedAt)
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
