import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { KeystoreError, WrongPassphraseError } from '../errors/startup.js'
import { encryptKeystore, LIGHT_SCRYPT } from './keystore/encryptKeystore.js'
import { writeKeystoreFile } from './keystore/keystoreDir.js'
import { unlockFirstAccount } from './unlockFirstAccount.js'

const KEY1 = Buffer.from('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'hex')
const ADDR1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const KEY2 = Buffer.from('5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a', 'hex')
// cast wallet new: no address field (key of 0x53c9…3e15), passphrase "cast fixture pass".
const CAST_NEW = readFileSync(new URL('../../test/fixtures/keystore/cast-new.json', import.meta.url), 'utf8')

function keystoreDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'walletd-first-')), 'keystore')
}

describe('unlockFirstAccount', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  test('decrypts the first keystore file (by name) with the fixed passphrase', async () => {
    const dir = keystoreDir()
    const first = writeKeystoreFile(
      dir,
      await encryptKeystore(KEY1, 'pw', { scrypt: LIGHT_SCRYPT }),
      new Date('2026-01-01T00:00:00Z'),
    )
    writeKeystoreFile(
      dir,
      await encryptKeystore(KEY2, 'other', { scrypt: LIGHT_SCRYPT }),
      new Date('2026-06-01T00:00:00Z'),
    )
    const result = await unlockFirstAccount({
      keystoreDir: dir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
    })
    expect(result?.file).toBe(first)
    expect(result?.account.address).toBe(ADDR1)
    expect(Buffer.from(result?.account.privateKey ?? []).equals(KEY1)).toBe(true)
  })

  test('nothing to check: no passphrase given, or no keystore file', async () => {
    const dir = keystoreDir()
    writeKeystoreFile(dir, await encryptKeystore(KEY1, 'pw', { scrypt: LIGHT_SCRYPT }))
    expect(await unlockFirstAccount({ keystoreDir: dir, passphraseSource: {} })).toBeNull()
    expect(await unlockFirstAccount({ keystoreDir: dir, passphraseSource: { env: {} } })).toBeNull()
    const empty = keystoreDir()
    mkdirSync(empty, { mode: 0o700 })
    expect(
      await unlockFirstAccount({ keystoreDir: empty, passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } } }),
    ).toBeNull()
    // A missing directory too.
    expect(
      await unlockFirstAccount({
        keystoreDir: join(empty, 'absent'),
        passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      }),
    ).toBeNull()
  })

  test('a wrong passphrase names the account, its file and where the passphrase came from', async () => {
    const dir = keystoreDir()
    const file = writeKeystoreFile(dir, await encryptKeystore(KEY1, 'pw', { scrypt: LIGHT_SCRYPT }))
    const passwordFile = join(dir, '..', 'pw.txt')
    writeFileSync(passwordFile, 'wrong\n', { mode: 0o600 })
    const err = await unlockFirstAccount({ keystoreDir: dir, passphraseSource: { passwordFile } }).catch(
      (e) => e,
    )
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(err.exitCode).toBe(8)
    expect(err.shortMessage).toBe(
      `Could not decrypt ${ADDR1} (${file}) with the passphrase from password file: wrong passphrase or corrupted file`,
    )
  })

  test('a file without an address field is named by its path alone', async () => {
    const dir = keystoreDir()
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'cast-new')
    writeFileSync(file, CAST_NEW, { mode: 0o600 })
    const err = await unlockFirstAccount({
      keystoreDir: dir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'nope' } },
    }).catch((e) => e)
    expect(err.shortMessage).toBe(
      `Could not decrypt ${file} with the passphrase from WALLETD_PASSWORD: wrong passphrase or corrupted file`,
    )
    const ok = await unlockFirstAccount({
      keystoreDir: dir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'cast fixture pass' } },
    })
    expect(ok?.account.address).toBe('0x53c9E0a6C31437b0e5bF3bF136CDD8E685663e15')
  })

  test('other refusals pass through unchanged (a key that is not the file’s address)', async () => {
    const dir = keystoreDir()
    mkdirSync(dir, { mode: 0o700 })
    const swapped = { ...JSON.parse(CAST_NEW), address: ADDR1.slice(2).toLowerCase() }
    writeFileSync(join(dir, 'swapped'), JSON.stringify(swapped), { mode: 0o600 })
    const err = await unlockFirstAccount({
      keystoreDir: dir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'cast fixture pass' } },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err).not.toBeInstanceOf(WrongPassphraseError)
    expect(err.shortMessage).toMatch(/^Refusing keystore: its address field says 0x7099/)
  })

  test('the passphrase is wiped: the key is the only secret left', async () => {
    const dir = keystoreDir()
    writeKeystoreFile(dir, await encryptKeystore(KEY1, 'pw', { scrypt: LIGHT_SCRYPT }))
    const buffers: Buffer[] = []
    const alloc = Buffer.alloc.bind(Buffer)
    vi.spyOn(Buffer, 'alloc').mockImplementation(((size: number) => {
      const b = alloc(size)
      buffers.push(b)
      return b
    }) as typeof Buffer.alloc)
    const result = await unlockFirstAccount({
      keystoreDir: dir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
    })
    vi.restoreAllMocks()
    expect(buffers.length).toBeGreaterThanOrEqual(3)
    // Left: the key, and the keystore file's text (encrypted, not a secret).
    const left = buffers.filter((b) => b.some((x) => x !== 0))
    expect(left.filter((b) => !b.toString().startsWith('{"address"'))).toEqual([result?.account.privateKey])
  })
})
