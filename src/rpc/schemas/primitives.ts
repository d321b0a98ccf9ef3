import type { Address, Hex } from 'viem'
import { getAddress, isAddress } from 'viem/utils'
import { z } from 'zod'

/** 0x-prefixed hex of any length. */
export const zHex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/, 'expected 0x-prefixed hex')
  .transform((s) => s as Hex)

/**
 * EIP-55: an address in one case (all lower or all upper) carries no checksum and is valid as it
 * is; a mixed-case one must be its exact checksum. viem's strict `isAddress` refuses the all-upper
 * form, so the case rule is checked here and viem checks the checksum.
 */
export function isEip55Address(a: string): boolean {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) return false
  const digits = a.slice(2)
  if (digits === digits.toLowerCase() || digits === digits.toUpperCase()) return true
  return isAddress(a)
}

/** An address, normalised to its EIP-55 checksum (one case accepted; a wrong mixed-case checksum refused). */
export const zAddress = z
  .string()
  .refine(
    (a) => isEip55Address(a),
    'expected an address (0x + 40 hex digits; mixed case must be a valid EIP-55 checksum)',
  )
  .transform((a) => getAddress(a) as Address)

/** A JSON-RPC quantity: 0x-hex without leading zeros (0x0 allowed) → bigint. */
export const zQuantity = z
  .string()
  .regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/, 'expected a hex quantity (0x-prefixed, no leading zeros)')
  .transform((h) => BigInt(h))

/** A chain id as an EIP-695 hex quantity → number (refuses ids beyond Number.MAX_SAFE_INTEGER). */
export const zChainIdHex = z
  .string()
  .regex(/^0x[1-9a-fA-F][0-9a-fA-F]{0,12}$/, 'expected a hex chain id without leading zeros')
  .transform((h) => Number.parseInt(h, 16))
  .refine((n) => Number.isSafeInteger(n) && n > 0, 'chain id out of range')

/** No params: absent, or an empty array. */
export const zNoParams = z.union([z.tuple([]), z.undefined()])
