import type { z } from 'zod'
import type { FilterInstallMethod } from '../../upstream/createSubscriptionRegistry.js'
import type { Upstream } from '../../upstream/types.js'
import { defineMethod } from '../defineMethod.js'
import type { Services } from '../services.js'
import type { RequestContext } from '../types.js'
import { upstreamFor } from '../upstreamFor.js'

/** A check of the params against the upstream before the filter is installed (may throw an RpcError). */
export type FilterInstallCheck<P> = (args: {
  params: P
  upstream: Upstream
  ctx: RequestContext
  services: Services
}) => Promise<void>

/**
 * A filter-creating method (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter):
 * installs the filter on the upstream of the origin's chain, owned by the caller, and answers
 * walletd's own filter id.
 */
export function defineFilterInstall<P extends readonly unknown[] | undefined>(
  method: FilterInstallMethod,
  params: z.ZodType<P>,
  check?: FilterInstallCheck<P>,
) {
  return defineMethod({
    method,
    params,
    permission: 'none',
    cost: 'read',
    handler: async ({ params: p, ctx, services }) => {
      const upstream = upstreamFor(services, ctx)
      await check?.({ params: p, upstream, ctx, services })
      return services.subscriptions.installFilter({
        conn: ctx.conn,
        upstream,
        method,
        params: [...(p ?? [])],
        signal: ctx.signal,
      })
    },
  })
}
