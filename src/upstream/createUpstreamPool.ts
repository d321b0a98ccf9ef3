import type { Logger } from 'pino'
import type { ChainConfig } from '../config/schema.js'
import type { Metrics } from '../metrics.js'
import { createUpstream, type UpstreamOptions } from './createUpstream.js'
import type { Upstream, UpstreamPool } from './types.js'

export type CreateUpstreamPoolParameters = {
  chains: readonly ChainConfig[]
  log: Logger
  metrics: Metrics
  options: UpstreamOptions
  /** For tests: builds one chain's upstream (default `createUpstream`). */
  create?: typeof createUpstream
}

/** One `Upstream` per chain, created eagerly (each starts connecting at once); `add` for runtime chains. */
export function createUpstreamPool({
  chains,
  log,
  metrics,
  options,
  create = createUpstream,
}: CreateUpstreamPoolParameters): UpstreamPool {
  const byChain = new Map<number, Upstream>()
  let closed = false

  function add(chain: ChainConfig): Upstream {
    if (closed) throw new Error('upstream pool is closed')
    const existing = byChain.get(chain.chainId)
    if (existing) return existing
    const upstream = create({ chainId: chain.chainId, urls: chain.rpcUrls, log, metrics, options })
    byChain.set(chain.chainId, upstream)
    return upstream
  }

  for (const chain of chains) add(chain)

  return {
    get: (chainId) => byChain.get(chainId),
    all: () => [...byChain.values()],
    add,
    async close() {
      closed = true
      const list = [...byChain.values()]
      byChain.clear()
      await Promise.allSettled(list.map((u) => u.close()))
    },
  }
}
