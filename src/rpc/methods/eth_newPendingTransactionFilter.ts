import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'
import { upstreamFor } from '../upstreamFor.js'

/** Installs a pending-transaction filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewPendingTransactionFilter = defineMethod({
  method: 'eth_newPendingTransactionFilter',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  approval: 'never',
  handler: ({ ctx, services }) =>
    services.subscriptions.installFilter({
      conn: ctx.conn,
      upstream: upstreamFor(services, ctx),
      method: 'eth_newPendingTransactionFilter',
      params: [],
      signal: ctx.signal,
    }),
})
