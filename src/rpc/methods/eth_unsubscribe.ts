import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zSubscriptionId } from '../schemas/logFilter.js'

/** Cancels one of this connection's subscriptions: true; any other id (unknown or foreign): false. */
export const ethUnsubscribe = defineMethod({
  method: 'eth_unsubscribe',
  params: z.tuple([zSubscriptionId]),
  permission: 'none',
  cost: 'read',
  handler: ({ params: [id], ctx, services }) =>
    services.subscriptions.unsubscribe(ctx.conn, id.toLowerCase()),
})
