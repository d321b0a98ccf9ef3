import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { zAddress, zChainIdHex } from '../schemas/primitives.js'

/**
 * `wallet_getCapabilities` (EIP-5792): `[address, chainIds?]` → per chain walletd has (hex chain
 * id → capabilities), only the chains asked for when a list is given (unknown ones are left out,
 * not an error). Honest for a plain key: `atomic: { status: 'unsupported' }` on every chain (calls
 * are sent one by one); no other capability. The address must be granted to the origin (4100).
 */
export const walletGetCapabilities = defineMethod({
  method: 'wallet_getCapabilities',
  params: z.union([z.tuple([zAddress]), z.tuple([zAddress, z.array(zChainIdHex).max(256)])]),
  permission: 'accounts',
  cost: 'read',
  accounts: ([address]) => [address],
  handler: async ({ params, services }) => {
    const wanted = params[1] ? new Set(params[1]) : null
    const capabilities: Record<string, { atomic: { status: 'unsupported' } }> = {}
    for (const chain of services.chains.list()) {
      if (wanted && !wanted.has(chain.chainId)) continue
      capabilities[`0x${chain.chainId.toString(16)}`] = { atomic: { status: 'unsupported' } }
    }
    return capabilities
  },
})
