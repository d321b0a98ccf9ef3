import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zLogFilter } from '../schemas/logFilter.js'
import { upstreamFor } from '../upstreamFor.js'

/** Installs a log filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewFilter = defineMethod({
  method: 'eth_newFilter',
  params: z.tuple([zLogFilter]),
  permission: 'none',
  cost: 'read',
  approval: 'never',
  handler: ({ params, ctx, services }) =>
    services.subscriptions.installFilter({
      conn: ctx.conn,
      upstream: upstreamFor(services, ctx),
      method: 'eth_newFilter',
      params,
      signal: ctx.signal,
    }),
})
