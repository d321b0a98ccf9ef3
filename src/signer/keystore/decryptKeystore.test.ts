import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { privateKeyToAddress } from 'viem/accounts'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { KeystoreError, WrongPassphraseError } from '../../errors/startup.js'
import { createKdfLimiter, type KdfLimiter } from './createKdfLimiter.js'
import { decryptKeystore, WRONG_PASSPHRASE_MESSAGE } from './decryptKeystore.js'
import { encryptKeystore, LIGHT_SCRYPT, STANDARD_SCRYPT } from './encryptKeystore.js'

const fixtures = new URL('../../../test/fixtures/keystore/', import.meta.url)
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// Spec vectors (ethereum.org Web3 Secret Storage definition): passphrase "testpassword".
const SPEC_KEY = '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
// Made with `cast wallet import cast-imported -k . --unsafe-password 'cast fixture pass' --private-key 0x4c08…2318`
// and `cast wallet new . cast-new --unsafe-password 'cast fixture pass'` (foundry 1.7.1: n=8192 r=8 p=1, no address field).
const CAST_PASS = 'cast fixture pass'
const CAST_KEY = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const KEY = Buffer.from('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'hex') // anvil #1

/** A limiter that counts KDF runs: refusals must happen before any key derivation. */
function countingLimiter(): KdfLimiter & { runs: number } {
  const inner = createKdfLimiter(2)
  const l = {
    runs: 0,
    run<T>(fn: () => Promise<T>) {
      l.runs++
      return inner.run(fn)
    },
  }
  return l
}

describe('decryptKeystore: files made by other tools', () => {
  test('spec pbkdf2 vector', async () => {
    expect(hex(await decryptKeystore(fixture('spec-pbkdf2.json'), 'testpassword'))).toBe(SPEC_KEY)
  })

  test('spec scrypt vector (r=1, n=2^18: accepted on import although OpenSSL refuses it)', async () => {
    expect(hex(await decryptKeystore(fixture('spec-scrypt.json'), 'testpassword'))).toBe(SPEC_KEY)
  }, 30_000)

  test('cast wallet import / cast wallet new files (JSON text or object, no address field)', async () => {
    const text = readFileSync(new URL('cast-imported.json', fixtures), 'utf8')
    expect(hex(await decryptKeystore(text, CAST_PASS))).toBe(CAST_KEY)
    const key = await decryptKeystore(fixture('cast-new.json'), Buffer.from(CAST_PASS))
    expect(privateKeyToAddress(`0x${hex(key)}`)).toBe('0x53c9E0a6C31437b0e5bF3bF136CDD8E685663e15')
  })

  test('wrong passphrase: generic error, no key material', async () => {
    const err = await decryptKeystore(fixture('cast-imported.json'), 'nope').catch((e) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(err.shortMessage).toBe(WRONG_PASSPHRASE_MESSAGE)
    expect(String(err.message)).not.toContain(CAST_KEY.slice(0, 8))
  })
})

describe('encryptKeystore', () => {
  test('round trip with explicit light params; geth-shaped output', async () => {
    const ks = await encryptKeystore(KEY, 'pw', { scrypt: LIGHT_SCRYPT })
    expect(ks.address).toBe(
      privateKeyToAddress(`0x${hex(KEY)}`)
        .slice(2)
        .toLowerCase(),
    )
    expect(ks.crypto.kdfparams).toMatchObject({ n: 4096, r: 8, p: 6, dklen: 32 })
    expect(ks.crypto.kdfparams.salt).toHaveLength(64)
    expect(ks.crypto.cipherparams.iv).toHaveLength(32)
    expect(hex(await decryptKeystore(ks, 'pw'))).toBe(hex(KEY))
    const again = await encryptKeystore(KEY, 'pw', { scrypt: LIGHT_SCRYPT })
    expect(again.crypto.cipherparams.iv).not.toBe(ks.crypto.cipherparams.iv)
    expect(again.crypto.ciphertext).not.toBe(ks.crypto.ciphertext)
  })

  test('never writes the spec vector params (r=1, n=2^18) or out-of-bound params', async () => {
    await expect(encryptKeystore(KEY, 'pw', { scrypt: { n: 2 ** 18, r: 1, p: 8 } })).rejects.toThrow(
      KeystoreError,
    )
    await expect(encryptKeystore(KEY, 'pw', { scrypt: { n: 2 ** 21, r: 8, p: 1 } })).rejects.toThrow(
      KeystoreError,
    )
  })

  test('refuses an invalid private key (zero)', async () => {
    await expect(encryptKeystore(Buffer.alloc(32), 'pw', { scrypt: LIGHT_SCRYPT })).rejects.toThrow(
      KeystoreError,
    )
  })

  test('default is standard scrypt (n=2^18 r=8 p=1) and cast decrypts our file', async () => {
    const ks = await encryptKeystore(KEY, 'walletd pass')
    expect(ks.crypto.kdfparams).toMatchObject({ ...STANDARD_SCRYPT, dklen: 32 })
    const dir = mkdtempSync(join(tmpdir(), 'walletd-cast-'))
    const file = join(dir, 'ours.json')
    writeFileSync(file, JSON.stringify(ks), { mode: 0o600 })
    const { stdout } = await promisify(execFile)(
      'npx',
      ['cast', 'wallet', 'address', '--keystore', file, '--password', 'walletd pass'],
      { env: { ...process.env, CAST_PASSWORD: undefined } },
    )
    expect(stdout.trim()).toBe(privateKeyToAddress(`0x${hex(KEY)}`))
    // Unlocking a standard file runs the KDF off the event loop: timers keep firing meanwhile.
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      expect(hex(await decryptKeystore(ks, 'walletd pass'))).toBe(hex(KEY))
    } finally {
      clearInterval(timer)
    }
    expect(ticks).toBeGreaterThan(0)
  }, 60_000)
})

describe('refused keystores (before any key derivation)', () => {
  const base = () => fixture('cast-imported.json')
  const cases: [string, (ks: ReturnType<typeof base>) => void, RegExp][] = [
    ['scrypt n = 2^30', (ks) => (ks.crypto.kdfparams.n = 2 ** 30), /n = 1073741824/],
    ['scrypt n not a power of two', (ks) => (ks.crypto.kdfparams.n = 3000), /power of two/],
    [
      'huge r·p (r=16, p=16, n=2^16)',
      (ks) => Object.assign(ks.crypto.kdfparams, { n: 2 ** 16, r: 16, p: 16 }),
      /1 GiB/,
    ],
    ['r = 32', (ks) => (ks.crypto.kdfparams.r = 32), /kdfparams\.r/],
    ['p = 17', (ks) => (ks.crypto.kdfparams.p = 17), /kdfparams\.p/],
    ['dklen 64', (ks) => (ks.crypto.kdfparams.dklen = 64), /dklen must be 32/],
    ['dklen 16', (ks) => (ks.crypto.kdfparams.dklen = 16), /dklen must be 32/],
    ['unknown cipher', (ks) => (ks.crypto.cipher = 'aes-128-cbc'), /cipher "aes-128-cbc"/],
    ['unknown kdf', (ks) => (ks.crypto.kdf = 'argon2'), /kdf "argon2"/],
    ['iv of 12 bytes', (ks) => (ks.crypto.cipherparams.iv = '00'.repeat(12)), /iv must be 16 bytes/],
    ['version 1', (ks) => (ks.version = 1), /version must be 3/],
    [
      'pbkdf2 c = 10^8',
      (ks) =>
        Object.assign(ks.crypto, {
          kdf: 'pbkdf2',
          kdfparams: { c: 1e8, dklen: 32, prf: 'hmac-sha256', salt: 'aa' },
        }),
      /kdfparams\.c/,
    ],
    [
      'pbkdf2 prf sha1',
      (ks) =>
        Object.assign(ks.crypto, {
          kdf: 'pbkdf2',
          kdfparams: { c: 10, dklen: 32, prf: 'hmac-sha1', salt: 'aa' },
        }),
      /prf/,
    ],
  ]
  test.each(cases)('%s', async (_name, mutate, message) => {
    const ks = base()
    mutate(ks)
    const limiter = countingLimiter()
    const err = await decryptKeystore(ks, CAST_PASS, { limiter }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toMatch(message)
    expect(limiter.runs).toBe(0)
  })

  test('bad MAC → generic wrong-passphrase error', async () => {
    const ks = base()
    ks.crypto.mac = (ks.crypto.mac[0] === '0' ? '1' : '0') + ks.crypto.mac.slice(1)
    const err = await decryptKeystore(ks, CAST_PASS).catch((e) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(err.shortMessage).toBe(WRONG_PASSPHRASE_MESSAGE)
  })

  test('a MAC differing in any one byte is refused (the whole MAC is compared)', async () => {
    const good = base().crypto.mac
    expect(good).toHaveLength(64)
    for (let byte = 0; byte < 32; byte++) {
      const ks = base()
      const flipped = (Number.parseInt(good.slice(byte * 2, byte * 2 + 2), 16) ^ 0x01)
        .toString(16)
        .padStart(2, '0')
      ks.crypto.mac = good.slice(0, byte * 2) + flipped + good.slice(byte * 2 + 2)
      const err = await decryptKeystore(ks, CAST_PASS).catch((e) => e)
      expect(err, `MAC byte ${byte}`).toBeInstanceOf(WrongPassphraseError)
    }
    // 32 key derivations: on a loaded 2-core machine this takes far more than the default 5 s.
  }, 60_000)

  test('tampered ciphertext → generic wrong-passphrase error (MAC checked before decrypting)', async () => {
    const ks = base()
    ks.crypto.ciphertext = (ks.crypto.ciphertext[0] === '0' ? '1' : '0') + ks.crypto.ciphertext.slice(1)
    const err = await decryptKeystore(ks, CAST_PASS).catch((e) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(String(err.message)).not.toContain(CAST_KEY.slice(0, 8))
  })

  test('address field ≠ derived address → refused (no swap attacks)', async () => {
    const ks = base()
    ks.address = '53c9e0a6c31437b0e5bf3bf136cdd8e685663e15'
    const err = await decryptKeystore(ks, CAST_PASS).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toMatch(/address field says 0x53c9.*key inside is for 0x2c7536/i)
    ks.address = '2C7536E3605D9C16A7A3D7B1898E529396A65C23' // same address, other case: fine
    expect(hex(await decryptKeystore(ks, CAST_PASS))).toBe(CAST_KEY)
  })

  test('not JSON / not an object', async () => {
    await expect(decryptKeystore('{', 'x')).rejects.toThrow(/not valid JSON/)
    await expect(decryptKeystore([], 'x')).rejects.toThrow(/not a JSON object/)
  })
})

describe('createKdfLimiter', () => {
  test('runs at most `limit` jobs at a time and completes them all', async () => {
    const limiter = createKdfLimiter(2)
    let active = 0
    let peak = 0
    const waiting: (() => void)[] = []
    const tick = () => new Promise((r) => setImmediate(r))
    const jobs = Array.from({ length: 5 }, (_, i) =>
      limiter.run(async () => {
        active++
        peak = Math.max(peak, active)
        await new Promise<void>((r) => waiting.push(r))
        active--
        return i
      }),
    )
    await tick()
    expect(active).toBe(2)
    while (waiting.length > 0) {
      waiting.shift()!()
      await tick()
      expect(active).toBeLessThanOrEqual(2)
    }
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4])
    expect(peak).toBe(2)
  })
})

describe('decryptKeystore: key material is wiped', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** Runs `fn`, recording every buffer allocated with Buffer.alloc meanwhile (passphrase copy, key, derived key). */
  async function allocations<T>(fn: () => Promise<T>): Promise<{ result: T | Error; buffers: Buffer[] }> {
    const buffers: Buffer[] = []
    const alloc = Buffer.alloc.bind(Buffer)
    vi.spyOn(Buffer, 'alloc').mockImplementation(((size: number) => {
      const b = alloc(size)
      buffers.push(b)
      return b
    }) as typeof Buffer.alloc)
    const result = await fn().catch((e: Error) => e)
    vi.restoreAllMocks()
    return { result, buffers }
  }
  const zero = (b: Uint8Array) => b.every((x) => x === 0)

  test('on success only the returned key is left; the passphrase copy and derived key are zeroed', async () => {
    const pass = Buffer.from(CAST_PASS)
    const { result, buffers } = await allocations(() => decryptKeystore(fixture('cast-imported.json'), pass))
    expect(hex(result as Uint8Array)).toBe(CAST_KEY)
    expect(buffers.filter((b) => !zero(b))).toEqual([result])
    // The caller's passphrase is the caller's to wipe.
    expect(pass.toString()).toBe(CAST_PASS)
  })

  test('on a refusal after decryption (address mismatch) nothing is left, the key included', async () => {
    const ks = fixture('cast-imported.json')
    ks.address = '53c9e0a6c31437b0e5bf3bf136cdd8e685663e15'
    const { result, buffers } = await allocations(() => decryptKeystore(ks, CAST_PASS))
    expect(result).toBeInstanceOf(KeystoreError)
    expect(buffers.length).toBeGreaterThanOrEqual(3)
    expect(buffers.filter((b) => !zero(b))).toEqual([])
  })

  test('a failing key derivation is the error thrown (nothing derived to wipe)', async () => {
    const err = await decryptKeystore(fixture('cast-imported.json'), CAST_PASS, {
      limiter: {
        run: async () => {
          throw new Error('no memory for the KDF')
        },
      },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toBe('no memory for the KDF')
  })
})

describe('deriveKey: which scrypt', () => {
  /** A keystore file made here with @noble/hashes (encryptKeystore never writes r = 1 with a large n). */
  async function craft(n: number, r: number, p: number, pass: string) {
    const { scrypt } = await import('@noble/hashes/scrypt')
    const { createCipheriv, randomBytes } = await import('node:crypto')
    const { keccak256 } = await import('viem/utils')
    const salt = randomBytes(16)
    const iv = randomBytes(16)
    const dk = scrypt(Buffer.from(pass), salt, { N: n, r, p, dkLen: 32 })
    const cipher = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv)
    const ciphertext = Buffer.concat([cipher.update(KEY), cipher.final()])
    const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]), 'bytes')
    return {
      version: 3,
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: iv.toString('hex') },
        ciphertext: ciphertext.toString('hex'),
        kdf: 'scrypt',
        kdfparams: { dklen: 32, n, r, p, salt: salt.toString('hex') },
        mac: Buffer.from(mac).toString('hex'),
      },
    }
  }

  test('n = 2^16 with r = 1 (beyond what OpenSSL takes for r = 1) and n = 2^15 with r = 1 both open', async () => {
    for (const n of [2 ** 16, 2 ** 15]) {
      const ks = await craft(n, 1, 1, 'pw')
      expect(hex(await decryptKeystore(ks, 'pw')), String(n)).toBe(hex(KEY))
    }
  }, 30_000)

  test('scryptMaxmem: what OpenSSL needs for n, r, p, and 1 MiB more', async () => {
    const { scryptMaxmem } = await import('./deriveKey.js')
    expect(scryptMaxmem(2 ** 18, 8, 1)).toBe(128 * 8 * (2 ** 18 + 1 + 2) + 1024 * 1024)
    expect(scryptMaxmem(16, 2, 3)).toBe(128 * 2 * (16 + 3 + 2) + 1024 * 1024)
  })
})

describe('encryptKeystore: more', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  test('refuses n ≥ 2^16 with r = 1 (what OpenSSL refuses), saying so; writes n = 2^15 with r = 1', async () => {
    await expect(encryptKeystore(KEY, 'pw', { scrypt: { n: 2 ** 16, r: 1, p: 1 } })).rejects.toThrow(
      'scrypt n=65536 is too large for r=1',
    )
    const ks = await encryptKeystore(KEY, 'pw', { scrypt: { n: 2 ** 15, r: 1, p: 1 } })
    expect(hex(await decryptKeystore(ks, 'pw'))).toBe(hex(KEY))
  })

  test('wipes the passphrase copy and the derived key; a failing derivation is the error', async () => {
    const buffers: Buffer[] = []
    const alloc = Buffer.alloc.bind(Buffer)
    vi.spyOn(Buffer, 'alloc').mockImplementation(((size: number) => {
      const b = alloc(size)
      buffers.push(b)
      return b
    }) as typeof Buffer.alloc)
    await encryptKeystore(KEY, 'a passphrase', { scrypt: LIGHT_SCRYPT })
    vi.restoreAllMocks()
    expect(buffers.length).toBeGreaterThanOrEqual(2)
    expect(buffers.filter((b) => b.some((x) => x !== 0))).toEqual([])
    const err = await encryptKeystore(KEY, 'pw', {
      scrypt: LIGHT_SCRYPT,
      limiter: {
        run: async () => {
          throw new Error('no memory for the KDF')
        },
      },
    }).catch((e) => e)
    expect(err.message).toBe('no memory for the KDF')
  })
})
