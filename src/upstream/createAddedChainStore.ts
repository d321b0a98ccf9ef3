import { z } from 'zod'
import { type ChainConfig, ChainSchema } from '../config/schema.js'
import type { StateWriter } from '../util/createStateWriter.js'
import { readStateFile } from '../util/readStateFile.js'
import { writeFileAtomic } from '../util/writeFileAtomic.js'

/** A chain a person added at an origin's request (wallet_addEthereumChain). */
export type AddedChain = ChainConfig & {
  /** The origin that asked for it. */
  addedBy: string
  addedAt: number
}

const zAddedChain = ChainSchema.extend({
  addedBy: z.string().min(1).max(4096),
  addedAt: z.number().int().nonnegative(),
})
const zFile = z.object({ version: z.literal(1), chains: z.array(zAddedChain).max(1000) })

export type AddedChainStore = ReturnType<typeof createAddedChainStore>

export type AddedChainStoreOptions = {
  /** Where the list persists (`<data dir>/chains.json`, atomic writes); undefined keeps it in memory. */
  file?: string | undefined
  now?: () => number
  onCorrupt?: (file: string, movedTo: string) => void
  /** Writes the file whole or throws (default writeFileAtomic; the daemon passes its state writer). */
  write?: StateWriter
}

/**
 * The chains added at runtime, one registry for every origin (like a wallet's network list):
 * walletd keeps one upstream per chain id, so a chain id has one set of RPC URLs. Configured
 * chains always win over an added chain with the same id (createWalletd skips those).
 */
export function createAddedChainStore({
  file,
  now = Date.now,
  onCorrupt,
  write = writeFileAtomic,
}: AddedChainStoreOptions = {}) {
  const chains = new Map<number, AddedChain>()
  if (file) {
    const loaded = readStateFile(file, { parse: (json) => zFile.parse(json).chains, now, onCorrupt })
    for (const c of loaded ?? []) chains.set(c.chainId, c as AddedChain)
  }
  return {
    list(): AddedChain[] {
      return [...chains.values()]
    },
    get size(): number {
      return chains.size
    },
    /** Records a chain (persisted before it is used); replaces an earlier entry with the same id. */
    add(chain: ChainConfig, origin: string): AddedChain {
      const added: AddedChain = { ...chain, addedBy: origin, addedAt: now() }
      const next = new Map(chains).set(chain.chainId, added)
      if (file) {
        write(file, `${JSON.stringify({ version: 1, chains: [...next.values()] }, null, 2)}\n`)
      }
      chains.set(chain.chainId, added)
      return added
    },
  }
}
