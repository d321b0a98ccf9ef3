import { InvalidParamsError } from '../errors/rpc.js'
import type { Upstream } from '../upstream/types.js'

export type LogRange = {
  fromBlock?: string | undefined
  toBlock?: string | undefined
  blockHash?: string | undefined
}

export type CheckLogRangeOptions = {
  /** The method, for the error message. */
  method: string
  /** `forwarding.maxLogBlockRange`: the most blocks one query may span. */
  maxBlocks: number
  /** The upstream's head block number, asked only when a bound is a tag other than `earliest`. */
  head: () => Promise<bigint>
}

/**
 * Refuses (-32602, naming the param) a log query spanning more than `maxBlocks` blocks, before it
 * reaches the node: `eth_getLogs` from 0 to `latest` on a real chain makes a node scan every block.
 * A missing bound is `latest` (as on a node); `earliest` is block 0; `latest`, `pending`, `safe`
 * and `finalized` are read as the head. A `blockHash` query is one block. A reversed range is the
 * node's to refuse.
 */
export async function checkLogRange(
  filter: LogRange,
  { method, maxBlocks, head }: CheckLogRangeOptions,
): Promise<void> {
  if (filter.blockHash !== undefined) return
  const from = filter.fromBlock ?? 'latest'
  const to = filter.toBlock ?? 'latest'
  // Two tags: only `earliest` … a head tag is wide; head … head is a few blocks at most.
  if (!from.startsWith('0x') && !to.startsWith('0x') && !(from === 'earliest' && to !== 'earliest')) return
  let headNumber: bigint | undefined
  const resolve = async (bound: string): Promise<bigint> => {
    if (bound.startsWith('0x')) return BigInt(bound)
    if (bound === 'earliest') return 0n
    headNumber ??= await head()
    return headNumber
  }
  const fromN = await resolve(from)
  const toN = await resolve(to)
  if (toN < fromN) return
  const span = toN - fromN + 1n
  if (span > BigInt(maxBlocks)) {
    throw new InvalidParamsError({
      message: `Invalid parameters for ${method}: params.0: the block range ${from}…${to} spans ${span} blocks, more than the ${maxBlocks} allowed (forwarding.maxLogBlockRange); query in smaller ranges.`,
      data: { maxLogBlockRange: maxBlocks },
    })
  }
}

/** The upstream's head block number (`eth_blockNumber`), for `CheckLogRangeOptions.head`. */
export function upstreamHead(upstream: Upstream, signal: AbortSignal): () => Promise<bigint> {
  return async () => {
    const answer = await upstream.request('eth_blockNumber', [], { signal })
    if (typeof answer !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(answer)) {
      throw new Error(`the upstream answered eth_blockNumber with ${JSON.stringify(answer)?.slice(0, 40)}`)
    }
    return BigInt(answer)
  }
}
