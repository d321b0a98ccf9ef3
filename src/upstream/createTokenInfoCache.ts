import { type Address, decodeAbiParameters, type Hex, hexToString } from 'viem'
import { UpstreamRpcError } from '../errors/rpc.js'
import type { Upstream } from './types.js'

/** What the chain says about a contract that may be a token. Every field may be unknown. */
export type TokenInfo = {
  readonly chainId: number
  readonly address: Address
  /** false: no code at the address (an account, or nothing deployed yet). */
  readonly hasCode: boolean
  /** `decimals()`, when it answered a number 0–255. */
  readonly decimals: number | null
  /** `symbol()` (string or bytes32), cleaned: no control or format characters, at most 32 characters. */
  readonly symbol: string | null
  /** `name()`, cleaned likewise, at most 64 characters. */
  readonly name: string | null
  /** ERC-165 `supportsInterface` says ERC-721 (0x80ac58cd). */
  readonly erc721: boolean
  /** ERC-165 `supportsInterface` says ERC-1155 (0xd9b67a26). */
  readonly erc1155: boolean
  /** false when the node could not be reached for some read: the nulls then mean "unknown". */
  readonly complete: boolean
}

export type TokenInfoCache = {
  /**
   * The token's metadata, read once per chain and address (bounded, expiring cache). Never
   * throws: what could not be read is null. Answers read while the node was unreachable are not
   * cached (and say `complete: false`).
   */
  get(upstream: Upstream, address: Address, options?: { signal?: AbortSignal }): Promise<TokenInfo>
  readonly size: number
}

export type TokenInfoCacheOptions = {
  /** Entries kept; the least recently used goes first. Default 512. */
  maxEntries?: number
  /** How long an entry is trusted. Default 10 minutes (code can be deployed later, e.g. CREATE2). */
  ttlMs?: number
  now?: () => number
}

const SELECTOR = {
  decimals: '0x313ce567',
  symbol: '0x95d89b41',
  name: '0x06fdde03',
  supportsErc721: '0x01ffc9a780ac58cd00000000000000000000000000000000000000000000000000000000',
  supportsErc1155: '0x01ffc9a7d9b67a2600000000000000000000000000000000000000000000000000000000',
} as const

/** A per-chain, per-address cache of token metadata read with eth_call. */
export function createTokenInfoCache(options: TokenInfoCacheOptions = {}): TokenInfoCache {
  const maxEntries = options.maxEntries ?? 512
  const ttlMs = options.ttlMs ?? 10 * 60_000
  const now = options.now ?? Date.now
  const entries = new Map<string, { info: TokenInfo; at: number }>()
  const inFlight = new Map<string, Promise<TokenInfo>>()

  return {
    get size() {
      return entries.size
    },
    get(upstream, address, { signal } = {}) {
      const key = `${upstream.chainId}:${address.toLowerCase()}`
      const hit = entries.get(key)
      if (hit && now() - hit.at < ttlMs) {
        entries.delete(key)
        entries.set(key, hit)
        return Promise.resolve(hit.info)
      }
      const running = inFlight.get(key)
      if (running) return running
      const read = readTokenInfo(upstream, address, signal)
        .then((info) => {
          if (info.complete) {
            entries.delete(key)
            entries.set(key, { info, at: now() })
            while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
          }
          return info
        })
        .finally(() => inFlight.delete(key))
      inFlight.set(key, read)
      return read
    },
  }
}

async function readTokenInfo(
  upstream: Upstream,
  address: Address,
  signal: AbortSignal | undefined,
): Promise<TokenInfo> {
  let complete = true
  /** A node's error (a revert, no such method) is an answer; anything else (unreachable) is not. */
  const ask = async (method: string, params: unknown[]): Promise<Hex | null> => {
    try {
      const result = await upstream.request(method, params, signal ? { signal } : undefined)
      return typeof result === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(result) ? (result as Hex) : null
    } catch (err) {
      if (!(err instanceof UpstreamRpcError)) complete = false
      return null
    }
  }
  const call = (data: string) => ask('eth_call', [{ to: address, data }, 'latest'])
  const empty: TokenInfo = {
    chainId: upstream.chainId,
    address,
    hasCode: false,
    decimals: null,
    symbol: null,
    name: null,
    erc721: false,
    erc1155: false,
    complete: true,
  }
  const code = await ask('eth_getCode', [address, 'latest'])
  if (code === null) return { ...empty, complete: false }
  if (code === '0x') return { ...empty, complete }
  const [decimals, symbol, name, erc721, erc1155] = await Promise.all([
    call(SELECTOR.decimals),
    call(SELECTOR.symbol),
    call(SELECTOR.name),
    call(SELECTOR.supportsErc721),
    call(SELECTOR.supportsErc1155),
  ])
  return {
    ...empty,
    hasCode: true,
    decimals: parseDecimals(decimals),
    symbol: parseText(symbol, 32),
    name: parseText(name, 64),
    erc721: isTrue(erc721),
    erc1155: isTrue(erc1155),
    complete,
  }
}

function parseDecimals(data: Hex | null): number | null {
  if (data === null || data.length !== 66) return null
  const n = BigInt(data)
  return n <= 255n ? Number(n) : null
}

const isTrue = (data: Hex | null) => data !== null && data.length === 66 && BigInt(data) === 1n

/** An ABI string, or a bytes32 padded with zeros (old tokens such as MKR); cleaned and bounded. */
function parseText(data: Hex | null, max: number): string | null {
  if (data === null || data === '0x') return null
  let text: string | null = null
  try {
    text = decodeAbiParameters([{ type: 'string' }], data)[0]
  } catch {
    if (data.length === 66) {
      try {
        text = hexToString(data) // trailing zero bytes are control characters: cleaned below
      } catch {}
    }
  }
  return text === null ? null : cleanTokenText(text, max)
}

/**
 * Text a contract chose, made safe to show: control, format (bidi overrides, zero-width) and
 * unassigned characters removed, whitespace collapsed, at most `max` characters. null when
 * nothing is left.
 */
export function cleanTokenText(text: string, max: number): string | null {
  const clean = text
    .replace(/[\t\n\v\f\r\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Cn}\p{Co}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
  if (clean === '') return null
  const chars = [...clean]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean
}
