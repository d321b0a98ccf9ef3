import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zSubscriptionId } from '../schemas/logFilter.js'

/**
 * Uninstalls one of the caller's filters: true. An unknown or foreign id answers false, as a node
 * (geth, Anvil) does for an unknown filter; it never reveals whether the id exists elsewhere.
 */
export const ethUninstallFilter = defineMethod({
  method: 'eth_uninstallFilter',
  params: z.tuple([zSubscriptionId]),
  permission: 'none',
  cost: 'read',
  handler: ({ params: [id], ctx, services }) =>
    services.subscriptions.uninstallFilter(ctx.conn, id.toLowerCase()),
})
