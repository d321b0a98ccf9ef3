import type { Address, Hex } from 'viem'
import { bytesToHex, getAddress, hexToBytes } from 'viem/utils'
import { z } from 'zod'
import type { ApprovalWarning } from '../../approval/types.js'
import { isEip55Address } from './primitives.js'

/** Longest personal message accepted, in characters of the param. */
export const MAX_MESSAGE_CHARS = 128 * 1024

const EVEN_HEX = /^0x([0-9a-fA-F]{2})*$/
const LOOKS_HEX = /^(0x)?[0-9a-fA-F]+$/

/** The bytes of a personal message: 0x + even-length hex is bytes; anything else is UTF-8 text. */
export function messageBytes(message: string): Hex {
  return EVEN_HEX.test(message)
    ? (message.toLowerCase() as Hex)
    : bytesToHex(new TextEncoder().encode(message))
}

/** What a person reads: the UTF-8 text, or the hex when the bytes are not valid UTF-8. */
export function describeMessage(raw: Hex): { text: string | null; hex: Hex; bytes: number } {
  const bytes = hexToBytes(raw)
  let text: string | null
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    text = null
  }
  return { text, hex: raw, bytes: bytes.length }
}

/** Warnings for payloads that are probably not meant for a person: a 32-byte hash, RLP (a transaction). */
export function messageWarnings(message: string, raw: Hex): ApprovalWarning[] {
  const warnings: ApprovalWarning[] = []
  const bytes = hexToBytes(raw)
  if (bytes.length === 32) {
    warnings.push({
      level: 'warning',
      message:
        'The message is exactly 32 bytes: it may be a hash (for example of a transaction). Sign only if you know what it is.',
    })
  }
  if (looksLikeRlp(bytes)) {
    warnings.push({
      level: 'warning',
      message:
        'The message looks like RLP-encoded data (such as a transaction), not text meant for a person.',
    })
  }
  if (!EVEN_HEX.test(message) && LOOKS_HEX.test(message) && message.length > 2) {
    warnings.push({
      level: 'warning',
      message:
        'The message looks like hex but is not 0x-prefixed even-length hex: it is signed as the TEXT shown.',
    })
  }
  return warnings
}

/** An RLP list whose header length matches the payload, possibly behind a typed-transaction byte. */
export function looksLikeRlp(bytes: Uint8Array): boolean {
  const list = (at: number): boolean => {
    const b0 = bytes[at]
    if (b0 === undefined || b0 < 0xc0) return false
    if (b0 <= 0xf7) return at + 1 + (b0 - 0xc0) === bytes.length
    const lenOfLen = b0 - 0xf7
    if (at + 1 + lenOfLen > bytes.length) return false
    let len = 0
    for (let i = 0; i < lenOfLen; i++) len = len * 256 + bytes[at + 1 + i]!
    return at + 1 + lenOfLen + len === bytes.length
  }
  if (bytes.length < 2) return false
  return list(0) || (bytes[0]! >= 0x01 && bytes[0]! <= 0x04 && list(1))
}

const zMessage = z
  .string()
  .max(MAX_MESSAGE_CHARS, `the message is longer than ${MAX_MESSAGE_CHARS} characters`)

export type PersonalSignParams = {
  /** The bytes that are signed (EIP-191 prefixed by the signer). */
  raw: Hex
  address: Address
  /** The message as the dApp sent it. */
  message: string
  /** The dApp sent `[address, message]` (MetaMask accepts it, with a warning). */
  swapped: boolean
}

/**
 * `personal_sign`: `[message, address]`, plus an optional third param (a "password" some dApps
 * send) that is ignored. `[address, message]` is accepted when only the first is an address.
 */
export const zPersonalSignParams = z
  .tuple([zMessage, zMessage], z.unknown())
  .refine((p) => p.length <= 3, 'expected [message, address] (and an optional ignored third param)')
  .transform((p, ctx): PersonalSignParams => {
    let [message, address] = p
    let swapped = false
    if (!isEip55Address(address)) {
      if (isEip55Address(message)) {
        ;[message, address] = [address, message]
        swapped = true
      } else {
        ctx.addIssue({ code: 'custom', path: [1], message: 'must provide an Ethereum address.' })
        return z.NEVER
      }
    }
    return { raw: messageBytes(message), address: getAddress(address), message, swapped }
  })

/** `personal_ecRecover`: `[message, signature]` → the signer. */
export const zEcRecoverParams = z.tuple([
  zMessage,
  z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte signature (0x + 130 hex digits)')
    .transform((s) => s as Hex),
])
