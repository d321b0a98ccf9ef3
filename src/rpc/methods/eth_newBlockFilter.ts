import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'
import { upstreamFor } from '../upstreamFor.js'

/** Installs a new-block filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewBlockFilter = defineMethod({
  method: 'eth_newBlockFilter',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  approval: 'never',
  handler: ({ ctx, services }) =>
    services.subscriptions.installFilter({
      conn: ctx.conn,
      upstream: upstreamFor(services, ctx),
      method: 'eth_newBlockFilter',
      params: [],
      signal: ctx.signal,
    }),
})
