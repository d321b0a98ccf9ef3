import { createDecipheriv, timingSafeEqual } from 'node:crypto'
import { KeystoreError, WrongPassphraseError } from '../../errors/startup.js'
import type { KdfLimiter } from './createKdfLimiter.js'
import { deriveKey } from './deriveKey.js'
import { keystoreMac } from './keystoreMac.js'
import { parseKeystore } from './parseKeystore.js'
import { privateKeyAddress } from './privateKeyAddress.js'
import { toPassphraseBytes } from './toPassphraseBytes.js'

export const WRONG_PASSPHRASE_MESSAGE = 'could not decrypt: wrong passphrase or corrupted file'

export type DecryptKeystoreOptions = { limiter?: KdfLimiter }

/**
 * Decrypts a Web3 Secret Storage v3 document (scrypt or pbkdf2-hmac-sha256, aes-128-ctr).
 * Order: validate and bound every parameter (no work for hostile files), derive the key, compare
 * the MAC in constant time *before* decrypting, decrypt, derive the address and compare it with the
 * file's `address` (when present). Returns the 32-byte private key in a Buffer the caller zeroes.
 */
export async function decryptKeystore(
  json: unknown,
  passphrase: Uint8Array | string,
  opts: DecryptKeystoreOptions = {},
): Promise<Uint8Array> {
  const ks = parseKeystore(json)
  const pass = toPassphraseBytes(passphrase)
  let dk: Buffer | undefined
  let plain: Buffer | undefined
  const key = Buffer.alloc(32)
  let ok = false
  try {
    dk = await deriveKey(pass, ks.kdf, opts.limiter)
    const mac = keystoreMac(dk, ks.ciphertext)
    if (!timingSafeEqual(mac, ks.mac)) throw new WrongPassphraseError(WRONG_PASSPHRASE_MESSAGE)
    const decipher = createDecipheriv('aes-128-ctr', dk.subarray(0, 16), ks.iv)
    plain = decipher.update(ks.ciphertext) // CTR: final() adds nothing
    decipher.final()
    // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable, parseKeystore requires 32 bytes of ciphertext and CTR keeps the length
    if (plain.length !== 32) throw new KeystoreError('Refusing keystore: decrypted key is not 32 bytes')
    key.set(plain)
    const derived = privateKeyAddress(key)
    if (ks.address !== undefined && derived.toLowerCase() !== ks.address) {
      // geth: "key content mismatch" (no swap attacks).
      throw new KeystoreError(
        `Refusing keystore: its address field says ${ks.address} but the key inside is for ${derived}`,
      )
    }
    ok = true
    return key
  } finally {
    pass.fill(0)
    dk?.fill(0)
    plain?.fill(0)
    if (!ok) key.fill(0)
  }
}
