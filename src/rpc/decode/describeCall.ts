import type { Address, Hex } from 'viem'
import type { TokenInfo, TokenInfoCache } from '../../upstream/createTokenInfoCache.js'
import { hasCode } from '../../upstream/hasCode.js'
import type { Upstream } from '../../upstream/types.js'
import { callReads, type DecodedCall, decodeCall } from './decodeCall.js'

export type DescribeCallParameters = {
  data: Hex
  /** The called address (the transaction's `to`). */
  contract: Address
  upstream: Upstream
  tokenInfo: TokenInfoCache
  signal?: AbortSignal
}

/**
 * Reads what decoding a call needs from the chain — the token's metadata (cached) and whether
 * the approved spender has code — then decodes it (decodeCall). Reads that fail are tolerated:
 * the call is then shown in raw units and says what could not be read.
 */
export async function describeCall({
  data,
  contract,
  upstream,
  tokenInfo,
  signal,
}: DescribeCallParameters): Promise<DecodedCall> {
  const reads = callReads(data, contract)
  if (!reads) return decodeCall(data, { contract, tokens: new Map() })
  const options = signal ? { signal } : {}
  const [infos, spenderHasCode] = await Promise.all([
    Promise.all(reads.tokens.map((a) => tokenInfo.get(upstream, a, options))),
    reads.spender ? hasCode(upstream, reads.spender, options) : Promise.resolve(null),
  ])
  const tokens = new Map<string, TokenInfo>(infos.map((info) => [info.address.toLowerCase(), info]))
  return decodeCall(data, { contract, tokens, spenderHasCode })
}
