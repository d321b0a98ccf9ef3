import { createECDH } from 'node:crypto'
import type { Address } from 'viem'
import { getAddress, keccak256 } from 'viem/utils'

/**
 * The uncompressed public key (65 bytes, `04 ‖ x ‖ y`) of a secp256k1 private key, computed by
 * OpenSSL (node:crypto): native, so a key costs microseconds, and independent of the engine that
 * signs (a signature is checked against this key, not against one the engine reports).
 * Throws on a key outside [1, n-1].
 */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const ecdh = createECDH('secp256k1')
  ecdh.setPrivateKey(privateKey)
  return new Uint8Array(ecdh.getPublicKey())
}

/** The compressed public key (33 bytes) of a private key (BIP-32 derivation needs it). */
export function compressedPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  const ecdh = createECDH('secp256k1')
  ecdh.setPrivateKey(privateKey)
  return new Uint8Array(ecdh.getPublicKey(null, 'compressed'))
}

/** The checksummed address of an uncompressed public key: the last 20 bytes of keccak256(x ‖ y). */
export function addressOfPublicKey(publicKey: Uint8Array): Address {
  if (publicKey.length !== 65 || publicKey[0] !== 4) throw new Error('expected an uncompressed public key')
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(26)}`)
}
