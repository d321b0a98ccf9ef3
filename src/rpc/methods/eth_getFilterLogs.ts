import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zSubscriptionId } from '../schemas/logFilter.js'

/**
 * All logs matching one of the caller's log filters. An unknown or foreign id gets the node's own answer for an unknown filter:
 * -32000 "filter not found" (viem re-creates its filter on -32000).
 */
export const ethGetFilterLogs = defineMethod({
  method: 'eth_getFilterLogs',
  params: z.tuple([zSubscriptionId]),
  permission: 'none',
  cost: 'read',
  handler: ({ params: [id], ctx, services }) =>
    services.subscriptions.queryFilter(ctx.conn, 'eth_getFilterLogs', id.toLowerCase(), ctx.signal),
})
