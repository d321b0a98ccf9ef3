import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto'
import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Address } from 'viem'
import { KeystoreError } from '../../errors/startup.js'
import { writeFileAtomic } from '../../util/writeFileAtomic.js'
import { ensurePrivateDirChecked, readPrivateFile } from '../keystore/keystoreDir.js'
import type { Keychain } from './createKeychain.js'

/**
 * "Remember my passphrase" without putting the passphrase in the OS keychain:
 * the keychain holds a random 32-byte wrapping key per account (service `walletd`, account = the
 * lowercase address); `<dir>/<address>.json` (0600, 0700 dir) holds the passphrase sealed with
 * AES-256-GCM under that key, bound to the address. Neither half alone reveals the passphrase, a
 * reused passphrase never shows up in a keychain viewer, and the keystore file stays the only source
 * of truth for the key. Same-user processes that can read both can still recover it: the keychain
 * is a convenience, not a boundary (security.md §4.2).
 */
export type PassphraseVault = {
  remember(address: Address, passphrase: Uint8Array): Promise<void>
  /** The remembered passphrase (a Buffer the caller zeroes), or null when none is stored. */
  recall(address: Address): Promise<Buffer | null>
  /** Deletes both halves; says which existed. */
  forget(address: Address): Promise<{ keychain: boolean; file: boolean }>
}

const AAD_PREFIX = 'walletd-remembered-passphrase-v1:'

type Envelope = { version: 1; address: string; iv: string; ciphertext: string; tag: string }

export function createPassphraseVault({
  keychain,
  dir,
}: {
  keychain: Keychain
  dir: string
}): PassphraseVault {
  const fileFor = (address: Address) => join(dir, `${address.toLowerCase()}.json`)
  const aad = (address: Address) => Buffer.from(AAD_PREFIX + address.toLowerCase())

  return {
    async remember(address, passphrase) {
      const key = Buffer.alloc(32)
      randomFillSync(key)
      try {
        const iv = randomBytes(12)
        const cipher = createCipheriv('aes-256-gcm', key, iv)
        cipher.setAAD(aad(address))
        const ciphertext = Buffer.concat([cipher.update(passphrase), cipher.final()])
        const envelope: Envelope = {
          version: 1,
          address: address.toLowerCase(),
          iv: iv.toString('hex'),
          ciphertext: ciphertext.toString('hex'),
          tag: cipher.getAuthTag().toString('hex'),
        }
        // Keychain first: a failure there leaves no file behind.
        await keychain.set(address.toLowerCase(), key)
        ensurePrivateDirChecked(dir)
        writeFileAtomic(fileFor(address), `${JSON.stringify(envelope)}\n`, 0o600)
      } finally {
        key.fill(0)
      }
    },

    async recall(address) {
      let raw: Buffer
      try {
        raw = readPrivateFile(fileFor(address))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
      const key = await keychain.get(address.toLowerCase())
      if (!key) return null
      try {
        const env = JSON.parse(raw.toString()) as Partial<Envelope>
        // (any other malformed field fails decryption below: every case ends in the same catch)
        // Stryker disable next-line StringLiteral: the catch replaces the message
        if (env.version !== 1) throw new Error('bad envelope')
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(String(env.iv), 'hex'))
        decipher.setAAD(aad(address))
        decipher.setAuthTag(Buffer.from(String(env.tag), 'hex'))
        const first = decipher.update(Buffer.from(String(env.ciphertext), 'hex'))
        decipher.final()
        const out = Buffer.alloc(first.length)
        out.set(first)
        first.fill(0)
        return out
      } catch {
        throw new KeystoreError(
          `The remembered passphrase for ${address} could not be opened (keychain entry or ${fileFor(address)} changed); run \`walletd account forget ${address}\` and remember it again`,
        )
      } finally {
        key.fill(0)
      }
    },

    async forget(address) {
      let file = false
      try {
        unlinkSync(fileFor(address))
        file = true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      const inKeychain = (await keychain.available()) ? await keychain.delete(address.toLowerCase()) : false
      return { keychain: inKeychain, file }
    },
  }
}
