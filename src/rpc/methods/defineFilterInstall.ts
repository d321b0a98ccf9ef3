import type { z } from 'zod'
import type { FilterInstallMethod } from '../../upstream/createSubscriptionRegistry.js'
import { defineMethod } from '../defineMethod.js'
import { upstreamFor } from '../upstreamFor.js'

/**
 * A filter-creating method (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter):
 * installs the filter on the upstream of the origin's chain, owned by the caller, and answers
 * walletd's own filter id.
 */
export function defineFilterInstall<P extends readonly unknown[] | undefined>(
  method: FilterInstallMethod,
  params: z.ZodType<P>,
) {
  return defineMethod({
    method,
    params,
    permission: 'none',
    cost: 'read',
    handler: ({ params: p, ctx, services }) =>
      services.subscriptions.installFilter({
        conn: ctx.conn,
        upstream: upstreamFor(services, ctx),
        method,
        params: [...(p ?? [])],
        signal: ctx.signal,
      }),
  })
}
