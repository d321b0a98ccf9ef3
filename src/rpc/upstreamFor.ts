import { ChainDisconnectedError } from '../errors/rpc.js'
import type { Upstream } from '../upstream/types.js'
import type { Services } from './services.js'
import type { RequestContext } from './types.js'

/** The upstream of the origin's active chain; 4901 when that chain has none. */
export function upstreamFor(services: Services, ctx: RequestContext): Upstream {
  const chainId = ctx.session.chainId
  const upstream = services.upstreams.get(chainId)
  if (!upstream) {
    throw new ChainDisconnectedError({
      message: `No upstream is configured for chain ${chainId}.`,
      data: { chainId: `0x${chainId.toString(16)}` },
    })
  }
  return upstream
}
