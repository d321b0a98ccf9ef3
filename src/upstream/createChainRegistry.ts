import type { ChainConfig } from '../config/schema.js'

export type ChainRegistry = ReturnType<typeof createChainRegistry>

/** The chains walletd knows, by id. The default chain is where a new origin starts. */
export function createChainRegistry(chains: readonly ChainConfig[], defaultChainId: number | null) {
  const byId = new Map<number, ChainConfig>()
  for (const c of chains) byId.set(c.chainId, c)
  let fallback = defaultChainId ?? chains[0]?.chainId
  return {
    get(chainId: number): ChainConfig | undefined {
      return byId.get(chainId)
    },
    has(chainId: number): boolean {
      return byId.has(chainId)
    },
    list(): ChainConfig[] {
      return [...byId.values()]
    },
    add(chain: ChainConfig) {
      byId.set(chain.chainId, chain)
      fallback ??= chain.chainId
    },
    defaultChainId(): number {
      if (fallback === undefined) throw new Error('no chain configured')
      return fallback
    },
  }
}
