import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zLogSubscriptionFilter } from '../schemas/logFilter.js'
import { upstreamFor } from '../upstreamFor.js'

const params = z.union([
  z.tuple([z.literal('newHeads')]),
  z.tuple([z.literal('logs')]),
  z.tuple([z.literal('logs'), zLogSubscriptionFilter]),
  z.tuple([z.literal('newPendingTransactions')]),
  z.tuple([z.literal('newPendingTransactions'), z.boolean()]),
  z.tuple([z.literal('syncing')]),
])

/**
 * Subscribes on the upstream of the origin's chain (WebSocket connections only; -32004 otherwise).
 * Answers walletd's own id; notifications arrive as `eth_subscription` messages on this connection
 * only. At most `connections.maxSubscriptionsPerConnection` per connection (-32005).
 */
export const ethSubscribe = defineMethod({
  method: 'eth_subscribe',
  params,
  permission: 'none',
  cost: 'read',
  handler: ({ params, ctx, services }) =>
    services.subscriptions.subscribe({ conn: ctx.conn, upstream: upstreamFor(services, ctx), params }),
})
