import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadIdentityKey } from './loadIdentityKey.js'

const dir = () => mkdtempSync(join(tmpdir(), 'walletd-identity-'))

describe('loadIdentityKey', () => {
  it('creates a P-256 key once (0600), then loads the same one; signatures verify with the public key', async () => {
    const file = join(dir(), 'identity.key')
    const first = loadIdentityKey(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toContain('BEGIN PRIVATE KEY')
    const again = loadIdentityKey(file)
    expect(again.publicKey).toBe(first.publicKey)
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65)
    const signature = Buffer.from(first.sign('transcript'), 'base64url')
    expect(signature).toHaveLength(64)
    // WebCrypto (as the provider does): raw public key, r‖s signature.
    const key = await crypto.subtle.importKey(
      'raw',
      Buffer.from(first.publicKey, 'base64url'),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      signature,
      new TextEncoder().encode('transcript'),
    )
    expect(ok).toBe(true)
    const pub = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', ...jwkOf(first.publicKey) },
      format: 'jwk',
    })
    expect(verify('sha256', Buffer.from('other'), { key: pub, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      false,
    )
  })

  it('refuses a loose file, a symlink and a file that is not a P-256 key', () => {
    const d = dir()
    const file = join(d, 'identity.key')
    loadIdentityKey(file)
    chmodSync(file, 0o644)
    expect(() => loadIdentityKey(file)).toThrow(/readable by others/)
    chmodSync(file, 0o600)
    const link = join(d, 'link.key')
    symlinkSync(file, link)
    expect(() => loadIdentityKey(link)).toThrow(/not a regular file/)
    const junk = join(d, 'junk.key')
    writeFileSync(junk, 'not a key', { mode: 0o600 })
    expect(() => loadIdentityKey(junk)).toThrow(expect.objectContaining({ code: 'WALLETD_ERR_IDENTITY_KEY' }))
  })
})

describe('loadIdentityKey refusals', () => {
  const pem = (key: import('node:crypto').KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }) as string

  it('names the file and the mode of a loose key; any group or other bit is too loose', () => {
    const file = join(dir(), 'identity.key')
    loadIdentityKey(file)
    for (const mode of [0o640, 0o604, 0o610, 0o601]) {
      chmodSync(file, mode)
      expect(() => loadIdentityKey(file)).toThrow(
        expect.objectContaining({
          code: 'WALLETD_ERR_INSECURE_PERMISSIONS',
          message: `The identity key ${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${file}.`,
        }),
      )
    }
    chmodSync(file, 0o400)
    expect(loadIdentityKey(file).alg).toBe('ES256')
  })

  it('refuses a directory or a symlink at the path, naming it', () => {
    const d = dir()
    const sub = join(d, 'identity.key')
    mkdirSync(sub)
    expect(() => loadIdentityKey(sub)).toThrow(
      expect.objectContaining({
        code: 'WALLETD_ERR_INSECURE_PERMISSIONS',
        message: `The identity key ${sub} is not a regular file (a symlink?); remove it.`,
      }),
    )
  })

  it('an unreadable path (not a missing file) is an error, never a new key', () => {
    const d = dir()
    const file = join(d, 'plain')
    writeFileSync(file, 'x')
    expect(() => loadIdentityKey(join(file, 'identity.key'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    )
  })

  it('refuses a private key of another type or curve, and keeps the file', () => {
    const d = dir()
    for (const [name, key] of [
      ['ed25519', generateKeyPairSync('ed25519').privateKey],
      ['p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey],
      ['rsa', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
    ] as const) {
      const file = join(d, `${name}.key`)
      writeFileSync(file, pem(key), { mode: 0o600 })
      expect(() => loadIdentityKey(file), name).toThrow(
        expect.objectContaining({
          code: 'WALLETD_ERR_IDENTITY_KEY',
          message: `The identity key ${file} is not a P-256 key.`,
        }),
      )
      expect(readFileSync(file, 'utf8')).toBe(pem(key))
    }
    const junk = join(d, 'junk.key')
    writeFileSync(junk, 'not a key', { mode: 0o600 })
    expect(() => loadIdentityKey(junk)).toThrow(
      expect.objectContaining({ message: `The identity key ${junk} cannot be read as a private key.` }),
    )
  })

  it('loads a P-256 key written by someone else, with the uncompressed point as public key', () => {
    const file = join(dir(), 'identity.key')
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    writeFileSync(file, pem(privateKey), { mode: 0o600 })
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65)
    expect(loadIdentityKey(file).publicKey).toBe(raw.toString('base64url'))
  })
})

function jwkOf(publicKey: string) {
  const raw = Buffer.from(publicKey, 'base64url')
  return { x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }
}
