import { createPublicKey, verify } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
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

function jwkOf(publicKey: string) {
  const raw = Buffer.from(publicKey, 'base64url')
  return { x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }
}
