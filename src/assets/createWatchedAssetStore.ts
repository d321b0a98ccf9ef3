import { type Address, getAddress } from 'viem'
import { z } from 'zod'
import type { StateWriter } from '../util/createStateWriter.js'
import { readStateFile } from '../util/readStateFile.js'
import { writeFileAtomic } from '../util/writeFileAtomic.js'

/** An ERC-20 token a person agreed to watch (wallet_watchAsset), per chain. */
export type WatchedAsset = {
  chainId: number
  address: Address
  /** The contract's symbol when it could be read, else the one the site gave. */
  symbol: string
  /** The contract's decimals when they could be read, else the ones the site gave. */
  decimals: number
  name: string | null
  /** As the site gave it; never fetched by walletd. */
  image: string | null
  /** The origin that asked. */
  addedBy: string
  addedAt: number
}

const zAsset = z
  .object({
    chainId: z.number().int().positive(),
    address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    symbol: z.string().min(1).max(64),
    decimals: z.number().int().min(0).max(255),
    name: z.string().max(256).nullable(),
    image: z.string().max(2048).nullable(),
    addedBy: z.string().min(1).max(4096),
    addedAt: z.number().int().nonnegative(),
  })
  .strict()
const zFile = z.object({ version: z.literal(1), assets: z.array(zAsset).max(10_000) })

/** Most assets walletd keeps (a page could otherwise grow the list without end). */
export const MAX_WATCHED_ASSETS = 1000

export type WatchedAssetStore = ReturnType<typeof createWatchedAssetStore>

export type WatchedAssetStoreOptions = {
  /** Where the list persists (`<data dir>/assets.json`, atomic writes); undefined keeps it in memory. */
  file?: string | undefined
  now?: () => number
  onCorrupt?: (file: string, movedTo: string) => void
  /** Writes the file whole or throws (default writeFileAtomic; the daemon passes its state writer). */
  write?: StateWriter
}

/**
 * The tokens watched with wallet_watchAsset: one list for every origin, per chain and address
 * (a wallet's token list; walletd has a single set of accounts), recording which origin asked.
 * walletd itself shows no balances: the list is for hosts and tools built on walletd.
 */
export function createWatchedAssetStore({
  file,
  now = Date.now,
  onCorrupt,
  write = writeFileAtomic,
}: WatchedAssetStoreOptions = {}) {
  const assets = new Map<string, WatchedAsset>()
  const keyOf = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`
  if (file) {
    const loaded = readStateFile(file, { parse: (json) => zFile.parse(json).assets, now, onCorrupt })
    for (const a of loaded ?? []) {
      assets.set(keyOf(a.chainId, a.address), { ...a, address: getAddress(a.address) })
    }
  }
  return {
    list(): WatchedAsset[] {
      return [...assets.values()]
    },
    get(chainId: number, address: Address): WatchedAsset | undefined {
      return assets.get(keyOf(chainId, address))
    },
    get size(): number {
      return assets.size
    },
    /** Adds or updates an asset (persisted first). */
    watch(asset: Omit<WatchedAsset, 'addedAt'>): WatchedAsset {
      const entry: WatchedAsset = { ...asset, addedAt: now() }
      const next = new Map(assets).set(keyOf(asset.chainId, asset.address), entry)
      if (file) write(file, `${JSON.stringify({ version: 1, assets: [...next.values()] }, null, 2)}\n`)
      assets.set(keyOf(asset.chainId, asset.address), entry)
      return entry
    },
  }
}
