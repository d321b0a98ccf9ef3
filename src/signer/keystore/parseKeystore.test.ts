import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { KeystoreError } from '../../errors/startup.js'
import { checkScryptParams, KDF_LIMITS, parseKeystore } from './parseKeystore.js'

const fixtures = new URL('../../../test/fixtures/keystore/', import.meta.url)
const text = (name: string) => readFileSync(new URL(name, fixtures), 'utf8')
// biome-ignore lint/suspicious/noExplicitAny: a keystore document edited field by field
type Doc = any
const scryptDoc = (): Doc => JSON.parse(text('cast-imported.json'))
const pbkdf2Doc = (): Doc => JSON.parse(text('spec-pbkdf2.json'))

/** The refusal's message, or 'accepted'. */
function outcome(doc: unknown): string {
  try {
    parseKeystore(doc)
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(KeystoreError)
    return (err as { shortMessage: string }).shortMessage
  }
}
const edited = (edit: (d: Doc) => void, make = scryptDoc) => {
  const d = make()
  edit(d)
  return d
}

describe('parseKeystore', () => {
  test('a scrypt file: every field, as bytes and numbers', () => {
    const ks = parseKeystore(text('cast-imported.json'))
    expect(ks.kdf).toMatchObject({ kind: 'scrypt', n: 8192, r: 8, p: 1 })
    expect(ks.kdf.salt.toString('hex')).toBe(
      '87474fb0ef60eac93cfd958b443b2ab162e97e90763290ceb60a2eac1938a17c',
    )
    expect(ks.iv.toString('hex')).toBe('fe939c0aeacd7bbc74c5110d898654b9')
    expect(ks.ciphertext).toHaveLength(32)
    expect(ks.mac.toString('hex')).toBe('fc7e5d607c3393ca7c740946b7e9740c013126128f14358fc3faa54daeddcef0')
    expect(ks.id).toBe('bf6641de-65b7-4559-835c-d2874cc0cd19')
    expect(ks.address).toBeUndefined()
  })

  test('a pbkdf2 file, as bytes (UTF-8 JSON), with 0x-prefixed hex and a Crypto key', () => {
    const d = pbkdf2Doc()
    d.Crypto = d.crypto
    delete d.crypto
    d.Crypto.mac = `0X${d.Crypto.mac.toUpperCase()}`
    d.Crypto.cipherparams.iv = `0x${d.Crypto.cipherparams.iv}`
    d.address = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01'
    d.id = 7
    const ks = parseKeystore(Buffer.from(JSON.stringify(d)))
    expect(ks.kdf).toMatchObject({ kind: 'pbkdf2', c: 262144 })
    expect(ks.mac.toString('hex')).toBe('517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2')
    expect(ks.iv.toString('hex')).toBe('6087dab2f9fdbbfaddc31a909735c1e6')
    expect(ks.address).toBe('0xabcdef0123456789abcdef0123456789abcdef01')
    expect(ks.id).toBeUndefined()
  })

  test('the document', () => {
    expect(outcome('x'.repeat(64 * 1024 + 1))).toBe('Refusing keystore: file larger than 64 KiB')
    expect(outcome(new Uint8Array(64 * 1024 + 1))).toBe('Refusing keystore: file larger than 64 KiB')
    // Exactly 64 KiB is read (and refused for what it holds).
    expect(outcome(`"${'x'.repeat(64 * 1024 - 2)}"`)).toBe('Refusing keystore: not a JSON object')
    expect(outcome('{')).toBe('Refusing keystore: not valid JSON')
    expect(outcome(Buffer.from('[1'))).toBe('Refusing keystore: not valid JSON')
    expect(outcome(null)).toBe('Refusing keystore: not a JSON object')
    expect(outcome('[]')).toBe('Refusing keystore: not a JSON object')
    expect(outcome(42)).toBe('Refusing keystore: not a JSON object')
    expect(outcome({})).toBe('Refusing keystore: version must be 3 (got none)')
    expect(outcome(edited((d) => (d.version = '3')))).toBe('Refusing keystore: version must be 3 (got "3")')
    expect(outcome(edited((d) => delete d.crypto))).toBe('Refusing keystore: missing "crypto" object')
    expect(outcome(edited((d) => (d.crypto = [])))).toBe('Refusing keystore: missing "crypto" object')
  })

  test('cipher, iv, ciphertext and mac', () => {
    expect(outcome(edited((d) => delete d.crypto.cipher))).toBe(
      'Refusing keystore: cipher undefined is not supported (only aes-128-ctr)',
    )
    expect(outcome(edited((d) => delete d.crypto.cipherparams))).toBe(
      'Refusing keystore: missing crypto.cipherparams',
    )
    expect(outcome(edited((d) => (d.crypto.cipherparams.iv = 16)))).toBe(
      'Refusing keystore: crypto.cipherparams.iv must be a hex string',
    )
    expect(outcome(edited((d) => (d.crypto.cipherparams.iv = 'abc')))).toBe(
      'Refusing keystore: crypto.cipherparams.iv is not valid hex',
    )
    expect(outcome(edited((d) => (d.crypto.cipherparams.iv = 'zz'.repeat(16))))).toBe(
      'Refusing keystore: crypto.cipherparams.iv is not valid hex',
    )
    expect(outcome(edited((d) => (d.crypto.cipherparams.iv = `${'00'.repeat(16)}g0`)))).toBe(
      'Refusing keystore: crypto.cipherparams.iv is not valid hex',
    )
    expect(outcome(edited((d) => (d.crypto.cipherparams.iv = '00'.repeat(17))))).toBe(
      'Refusing keystore: iv must be 16 bytes (got 17)',
    )
    expect(outcome(edited((d) => (d.crypto.ciphertext = '00'.repeat(31))))).toBe(
      'Refusing keystore: ciphertext must be 32 bytes (got 31)',
    )
    expect(outcome(edited((d) => (d.crypto.ciphertext = '00'.repeat(33))))).toBe(
      'Refusing keystore: ciphertext must be 32 bytes (got 33)',
    )
    expect(outcome(edited((d) => (d.crypto.mac = '00'.repeat(31))))).toBe(
      'Refusing keystore: mac must be 32 bytes (got 31)',
    )
    expect(outcome(edited((d) => delete d.crypto.mac))).toBe(
      'Refusing keystore: crypto.mac must be a hex string',
    )
  })

  test('kdf parameters', () => {
    expect(outcome(edited((d) => delete d.crypto.kdfparams))).toBe(
      'Refusing keystore: missing crypto.kdfparams',
    )
    expect(outcome(edited((d) => delete d.crypto.kdfparams.dklen))).toBe(
      'Refusing keystore: kdfparams.dklen must be 32 (got undefined)',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.salt = '')))).toBe(
      'Refusing keystore: kdfparams.salt must be 1..1024 bytes',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.salt = 'aa'.repeat(1025))))).toBe(
      'Refusing keystore: kdfparams.salt must be 1..1024 bytes',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.salt = 'aa')))).toBe('accepted')
    expect(outcome(edited((d) => (d.crypto.kdfparams.salt = 'aa'.repeat(1024))))).toBe('accepted')
    expect(outcome(edited((d) => (d.crypto.kdfparams.n = '8192')))).toBe(
      'Refusing keystore: kdfparams.n must be an integer',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.n = 8192.5)))).toBe(
      'Refusing keystore: kdfparams.n must be an integer',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.n = 1)))).toBe(
      'Refusing keystore: kdfparams.n = 1 is outside the allowed range 2..1048576',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.n = 2 ** 21)))).toBe(
      'Refusing keystore: kdfparams.n = 2097152 is outside the allowed range 2..1048576',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.r = 0)))).toBe(
      'Refusing keystore: kdfparams.r = 0 is outside the allowed range 1..16',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.p = 0)))).toBe(
      'Refusing keystore: kdfparams.p = 0 is outside the allowed range 1..16',
    )
    // The bounds themselves are allowed.
    expect(outcome(edited((d) => Object.assign(d.crypto.kdfparams, { n: 2, r: 1, p: 1 })))).toBe('accepted')
    expect(outcome(edited((d) => Object.assign(d.crypto.kdfparams, { n: 2 ** 20, r: 8, p: 1 })))).toBe(
      'accepted',
    )
    expect(outcome(edited((d) => Object.assign(d.crypto.kdfparams, { n: 2 ** 14, r: 16, p: 16 })))).toBe(
      'accepted',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.c = 1), pbkdf2Doc))).toBe('accepted')
    expect(outcome(edited((d) => (d.crypto.kdfparams.c = 10_000_000), pbkdf2Doc))).toBe('accepted')
    expect(outcome(edited((d) => (d.crypto.kdfparams.c = 0), pbkdf2Doc))).toBe(
      'Refusing keystore: kdfparams.c = 0 is outside the allowed range 1..10000000',
    )
    expect(outcome(edited((d) => (d.crypto.kdfparams.c = 10_000_001), pbkdf2Doc))).toBe(
      'Refusing keystore: kdfparams.c = 10000001 is outside the allowed range 1..10000000',
    )
    expect(outcome(edited((d) => delete d.crypto.kdfparams.prf, pbkdf2Doc))).toBe(
      'Refusing keystore: pbkdf2 prf undefined is not supported',
    )
    expect(outcome(edited((d) => delete d.crypto.kdf))).toBe(
      'Refusing keystore: kdf undefined is not supported (scrypt or pbkdf2)',
    )
  })

  test('the address field', () => {
    expect(outcome(edited((d) => (d.address = 5)))).toBe('Refusing keystore: address must be a string')
    expect(outcome(edited((d) => (d.address = 'ab'.repeat(19))))).toBe(
      'Refusing keystore: address is not 20 bytes of hex',
    )
    expect(outcome(edited((d) => (d.address = `${'ab'.repeat(20)}00`)))).toBe(
      'Refusing keystore: address is not 20 bytes of hex',
    )
    expect(outcome(edited((d) => (d.address = `00${'ab'.repeat(20)}`)))).toBe(
      'Refusing keystore: address is not 20 bytes of hex',
    )
    expect(outcome(edited((d) => (d.address = `1x${'ab'.repeat(19)}`)))).toBe(
      'Refusing keystore: address is not 20 bytes of hex',
    )
    expect(parseKeystore(edited((d) => (d.address = 'AB'.repeat(20)))).address).toBe(`0x${'ab'.repeat(20)}`)
  })
})

describe('checkScryptParams', () => {
  const message = (p: { n: number; r: number; p: number }) => {
    try {
      checkScryptParams(p)
      return 'accepted'
    } catch (err) {
      return (err as { shortMessage: string }).shortMessage
    }
  }

  test('n a power of two from 2 to 2^20; r and p 1..16; 128·n·r·p at most 1 GiB', () => {
    expect(message({ n: 2, r: 1, p: 1 })).toBe('accepted')
    expect(message({ n: 2 ** 20, r: 8, p: 1 })).toBe('accepted')
    expect(128 * 2 ** 20 * 8).toBe(KDF_LIMITS.scryptMaxWork)
    for (const n of [0, 1, 3, 6, 2 ** 21, 2.5, Number.NaN, 2 ** 53]) {
      expect(message({ n, r: 1, p: 1 }), String(n)).toBe(
        `Refusing keystore: scrypt n = ${n} must be a power of two between 2 and 2^20`,
      )
    }
    for (const r of [0, 17, 1.5, Number.NaN]) {
      expect(message({ n: 2, r, p: 1 }), String(r)).toBe(`Refusing keystore: scrypt r = ${r} must be 1..16`)
    }
    expect(message({ n: 2, r: 16, p: 1 })).toBe('accepted')
    for (const p of [0, 17, 1.5]) {
      expect(message({ n: 2, r: 1, p }), String(p)).toBe(`Refusing keystore: scrypt p = ${p} must be 1..16`)
    }
    expect(message({ n: 2, r: 1, p: 16 })).toBe('accepted')
    expect(message({ n: 2 ** 20, r: 8, p: 2 })).toBe(
      `Refusing keystore: scrypt 128·n·r·p = ${2 ** 31} bytes exceeds the 1 GiB bound`,
    )
  })
})

describe('parseKeystore: more', () => {
  test('names a missing ciphertext or salt; reads a plain Uint8Array as UTF-8 JSON', () => {
    expect(outcome(edited((d) => delete d.crypto.ciphertext))).toBe(
      'Refusing keystore: crypto.ciphertext must be a hex string',
    )
    expect(outcome(edited((d) => delete d.crypto.kdfparams.salt))).toBe(
      'Refusing keystore: crypto.kdfparams.salt must be a hex string',
    )
    const bytes = new Uint8Array(Buffer.from(text('cast-imported.json')))
    expect(parseKeystore(bytes).kdf).toMatchObject({ kind: 'scrypt', n: 8192 })
  })
})
