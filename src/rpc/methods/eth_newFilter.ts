import { z } from 'zod'
import { checkLogRange, upstreamHead } from '../checkLogRange.js'
import { zLogFilter } from '../schemas/logFilter.js'
import { defineFilterInstall } from './defineFilterInstall.js'

/**
 * Installs a log filter on the upstream of the origin's chain; answers walletd's own filter id.
 * Its block range is bounded like `eth_getLogs`'s (`eth_getFilterLogs` replays it).
 */
export const ethNewFilter = defineFilterInstall(
  'eth_newFilter',
  z.tuple([zLogFilter]),
  ({ params, upstream, ctx, services }) =>
    checkLogRange(params[0], {
      method: 'eth_newFilter',
      maxBlocks: services.config.forwarding.maxLogBlockRange,
      head: upstreamHead(upstream, ctx.signal),
    }),
)
