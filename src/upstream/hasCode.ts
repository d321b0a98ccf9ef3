import type { Address } from 'viem'
import type { Upstream } from './types.js'

/** Whether an address has code (a contract): true/false, or null when the node could not say. */
export async function hasCode(
  upstream: Upstream,
  address: Address,
  options: { signal?: AbortSignal } = {},
): Promise<boolean | null> {
  try {
    const code = await upstream.request('eth_getCode', [address, 'latest'], options)
    return typeof code === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(code) ? code !== '0x' : null
  } catch {
    return null
  }
}
