import type { Address, Hex } from 'viem'
import { getAddress, isAddress } from 'viem/utils'
import { z } from 'zod'

/** 0x-prefixed hex of any length. */
export const zHex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/, 'expected 0x-prefixed hex')
  .transform((s) => s as Hex)

/** An address, normalised to its EIP-55 checksum (any case accepted; a wrong mixed-case checksum refused). */
export const zAddress = z
  .string()
  .refine(
    (a) => isAddress(a),
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
