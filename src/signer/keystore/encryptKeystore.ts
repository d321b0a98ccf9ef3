import { createCipheriv, randomBytes, randomUUID } from 'node:crypto'
import { KeystoreError } from '../../errors/startup.js'
import type { KdfLimiter } from './createKdfLimiter.js'
import { deriveKey } from './deriveKey.js'
import { keystoreMac } from './keystoreMac.js'
import { checkScryptParams, type ScryptParams } from './parseKeystore.js'
import { privateKeyAddress } from './privateKeyAddress.js'
import { toPassphraseBytes } from './toPassphraseBytes.js'

/** geth's StandardScryptN/P: ≈256 MiB and about a second. What walletd writes. */
export const STANDARD_SCRYPT: ScryptParams = { n: 2 ** 18, r: 8, p: 1 }
/** geth's LightScryptN/P (≈4 MiB). Only for tests, and only when asked for explicitly. */
export const LIGHT_SCRYPT: ScryptParams = { n: 2 ** 12, r: 8, p: 6 }

export type KeystoreV3 = {
  address: string
  crypto: {
    cipher: 'aes-128-ctr'
    ciphertext: string
    cipherparams: { iv: string }
    kdf: 'scrypt'
    kdfparams: { dklen: 32; n: number; p: number; r: number; salt: string }
    mac: string
  }
  id: string
  version: 3
}

export type EncryptKeystoreOptions = {
  /** scrypt parameters; default {@link STANDARD_SCRYPT}. Lighter ones are for tests only. */
  scrypt?: ScryptParams
  limiter?: KdfLimiter
}

/**
 * Encrypts a private key into a Web3 Secret Storage v3 document (geth/foundry compatible): scrypt,
 * aes-128-ctr, fresh 32-byte salt and 16-byte IV, keccak MAC, the address in geth's form.
 */
export async function encryptKeystore(
  privateKey: Uint8Array,
  passphrase: Uint8Array | string,
  opts: EncryptKeystoreOptions = {},
): Promise<KeystoreV3> {
  const { n, r, p } = opts.scrypt ?? STANDARD_SCRYPT
  checkScryptParams({ n, r, p })
  // Never write parameters strict implementations refuse (the spec vector's r=1, N=2^18).
  if (n >= 2 ** (16 * r)) throw new KeystoreError(`scrypt n=${n} is too large for r=${r}`)
  const address = privateKeyAddress(privateKey)
  const pass = toPassphraseBytes(passphrase)
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  let dk: Buffer | undefined
  try {
    // Stryker disable next-line StringLiteral: deriveKey treats every kind but pbkdf2 as scrypt
    dk = await deriveKey(pass, { kind: 'scrypt', salt, n, r, p }, opts.limiter)
    const cipher = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv)
    const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()])
    const mac = keystoreMac(dk, ciphertext)
    return {
      address: address.slice(2).toLowerCase(),
      crypto: {
        cipher: 'aes-128-ctr',
        ciphertext: ciphertext.toString('hex'),
        cipherparams: { iv: iv.toString('hex') },
        kdf: 'scrypt',
        kdfparams: { dklen: 32, n, p, r, salt: salt.toString('hex') },
        mac: mac.toString('hex'),
      },
      id: randomUUID(),
      version: 3,
    }
  } finally {
    pass.fill(0)
    dk?.fill(0)
  }
}
