import { InternalError } from '../errors/rpc.js'
import type { Upstream } from '../upstream/types.js'

/** Reads of chain state that preparing a transaction needs, checked (a malformed answer is -32603). */

export async function suggestPriorityFee(
  upstream: Upstream,
  signal: AbortSignal,
  fallback: bigint,
): Promise<bigint> {
  try {
    return toBigInt(await upstream.request('eth_maxPriorityFeePerGas', [], { signal }), 'priority fee')
  } catch {
    return fallback
  }
}

/**
 * What one gas costs at the latest block: the legacy gas price, or the base fee plus the priority
 * fee, capped by the max fee (EIP-1559). Without a base fee, the max fee.
 */
export function effectiveGasPrice(
  fees: {
    gasPrice?: bigint | undefined
    maxFeePerGas?: bigint | undefined
    maxPriorityFeePerGas?: bigint | undefined
  },
  baseFeePerGas: bigint | null,
): bigint {
  if (fees.maxFeePerGas === undefined) return fees.gasPrice ?? 0n
  if (baseFeePerGas === null) return fees.maxFeePerGas
  const wanted = baseFeePerGas + (fees.maxPriorityFeePerGas ?? 0n)
  return wanted < fees.maxFeePerGas ? wanted : fees.maxFeePerGas
}

export function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(value)) return BigInt(value)
  throw new InternalError({ message: `Internal error: the upstream returned an invalid ${what}.` })
}

export function toNumber(value: unknown, what: string): number {
  const n = toBigInt(value, what)
  if (n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InternalError({ message: `Internal error: the upstream returned an invalid ${what}.` })
  return Number(n)
}

export function toBlock(value: unknown): { baseFeePerGas: bigint | null; gasLimit: bigint | null } {
  if (typeof value !== 'object' || value === null) {
    throw new InternalError({ message: 'Internal error: the upstream returned no latest block.' })
  }
  const b = value as { baseFeePerGas?: unknown; gasLimit?: unknown }
  return {
    baseFeePerGas:
      b.baseFeePerGas === undefined || b.baseFeePerGas === null
        ? null
        : toBigInt(b.baseFeePerGas, 'base fee'),
    gasLimit:
      b.gasLimit === undefined || b.gasLimit === null ? null : toBigInt(b.gasLimit, 'block gas limit'),
  }
}

/** The fee fields of a filled transaction as the prompt shows them (EIP-1559, else legacy). */
export function feeDetails(fees: {
  gasPrice?: bigint | undefined
  maxFeePerGas?: bigint | undefined
  maxPriorityFeePerGas?: bigint | undefined
}): Record<string, string> {
  return fees.maxFeePerGas !== undefined
    ? { maxFeePerGas: `${fees.maxFeePerGas} wei`, maxPriorityFeePerGas: `${fees.maxPriorityFeePerGas} wei` }
    : { gasPrice: `${fees.gasPrice} wei` }
}
