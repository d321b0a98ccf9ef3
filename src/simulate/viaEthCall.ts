import type { Address, Hex } from 'viem'
import { RpcError } from '../errors/rpc.js'
import type { Upstream } from '../upstream/types.js'
import type { RawOutcome, SimulationCall } from './types.js'
import { hex, isBytes, quantity } from './viaSimulateV1.js'

/**
 * The last resort: `eth_call` (does it succeed or revert, and with what data) and
 * `eth_estimateGas` (the gas it would use) for each call against the latest block. Sees nothing
 * of what the call moves: `changesKnown` is false. A batch's calls are run one by one, each
 * against the latest state. Throws when the node answers neither a result nor a revert.
 */
export async function viaEthCall(
  upstream: Upstream,
  { from, calls }: { from: Address; calls: readonly SimulationCall[] },
  signal: AbortSignal,
): Promise<RawOutcome> {
  const results = await Promise.all(
    calls.map(async (c) => {
      const call = {
        from,
        ...(c.to ? { to: c.to } : {}),
        value: hex(c.value),
        input: c.data,
        ...(c.gas !== undefined ? { gas: hex(c.gas) } : {}),
      }
      const [called, estimated] = await Promise.allSettled([
        upstream.request('eth_call', [call, 'latest'], { signal }),
        upstream.request('eth_estimateGas', [call], { signal }),
      ])
      if (called.status === 'fulfilled') {
        const gasUsed = estimated.status === 'fulfilled' ? quantity(estimated.value) : null
        return { status: 'success' as const, gasUsed, revertData: null }
      }
      const revertData = revertDataOf(called.reason)
      if (revertData === null) throw called.reason
      return { status: 'reverted' as const, gasUsed: null, revertData }
    }),
  )
  return {
    by: 'eth_call',
    changesKnown: false,
    calls: results,
    logs: [],
    nativeTransfers: [],
    contractsCreated: [],
    notes: [
      'eth_call shows only whether it succeeds: balance changes, approvals and created contracts were not seen',
      ...(calls.length > 1
        ? ['the calls were run one by one against the latest state, not as a sequence']
        : []),
    ],
  }
}

/**
 * The revert data in a node's error (code 3, or a message that says "revert"; the data as hex or
 * `{ data }`), or null when the error is not a revert.
 */
export function revertDataOf(err: unknown): Hex | null {
  if (!(err instanceof RpcError)) return null
  if (err.code !== 3 && !/revert/i.test(err.shortMessage)) return null
  const raw = err.data
  const data =
    typeof raw === 'string'
      ? raw
      : typeof raw === 'object' && raw !== null && typeof (raw as { data?: unknown }).data === 'string'
        ? (raw as { data: string }).data
        : '0x'
  return (isBytes(data) ? data.toLowerCase() : '0x') as Hex
}
