import { ChainDisconnectedError, TransactionRejectedError } from '../errors/rpc.js'
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

/**
 * After an approval, the upstream of the chain the request was approved for: if the origin
 * switched chains while it waited, nothing is sent (-32003); 4901 when that chain has no upstream.
 */
export function upstreamForApproved(
  services: Services,
  ctx: RequestContext,
  chainId: number,
  what: 'transaction' | 'batch',
): Upstream {
  if (services.sessions.view(ctx.conn.origin).chainId !== chainId) {
    throw new TransactionRejectedError({
      message: `Transaction rejected: the active chain changed while the ${what} awaited approval; nothing was sent.`,
    })
  }
  const upstream = services.upstreams.get(chainId)
  if (!upstream)
    throw new ChainDisconnectedError({ message: `No upstream is configured for chain ${chainId}.` })
  return upstream
}
