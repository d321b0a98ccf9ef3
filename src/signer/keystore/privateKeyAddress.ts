import type { Address } from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { bytesToHex } from 'viem/utils'
import { KeystoreError } from '../../errors/startup.js'

/**
 * The checksummed address of a 32-byte secp256k1 private key. viem takes the key as a hex string,
 * which JS cannot wipe: that copy lives until garbage collection (documented limitation).
 */
export function privateKeyAddress(privateKey: Uint8Array): Address {
  if (privateKey.length !== 32) throw new KeystoreError('A private key must be 32 bytes')
  try {
    return privateKeyToAddress(bytesToHex(privateKey))
  } catch {
    throw new KeystoreError('Not a valid secp256k1 private key (zero or not below the curve order)')
  }
}
