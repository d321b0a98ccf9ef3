import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { InsecurePermissionsError, KeystoreError } from '../../errors/startup.js'
import { encryptKeystore, LIGHT_SCRYPT } from './encryptKeystore.js'
import { keystoreFileName, listKeystoreAccounts, readKeystoreFile, writeKeystoreFile } from './keystoreDir.js'

const KEY = Buffer.from('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'hex')
const ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

let root: string
let dir: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'walletd-ks-'))
  dir = join(root, 'keystore')
})
afterEach(() => chmodSync(root, 0o700))

async function writeOne(): Promise<string> {
  return writeKeystoreFile(
    dir,
    await encryptKeystore(KEY, 'pw', { scrypt: LIGHT_SCRYPT }),
    new Date(Date.UTC(2026, 4, 8, 7, 50, 55, 527)),
  )
}

describe('keystore directory', () => {
  test('writes 0600 files in a 0700 dir, geth file name, no temp files left', async () => {
    const file = await writeOne()
    expect(file).toBe(
      join(dir, 'UTC--2026-05-08T07-50-55.527000000Z--70997970c51812dc3a010c7d01b50e0d17dc79c8'),
    )
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(readdirSync(dir)).toHaveLength(1)
  })

  test('lists accounts from the address field without decrypting; refuses a duplicate address', async () => {
    const file = await writeOne()
    // A file whose ciphertext no passphrase opens still lists: nothing is decrypted.
    const ks = JSON.parse(readFileSync(file, 'utf8'))
    ks.crypto.ciphertext = 'ff'.repeat(32)
    writeFileSync(file, JSON.stringify(ks))
    expect(listKeystoreAccounts(dir)).toEqual([{ address: ADDRESS, file }])
    await expect(writeOne()).rejects.toThrow(/already exists/)
    // Hidden files and editor backups are not key files.
    writeFileSync(join(dir, '.notes'), 'x', { mode: 0o600 })
    writeFileSync(`${file}~`, 'x', { mode: 0o600 })
    expect(listKeystoreAccounts(dir)).toHaveLength(1)
  })

  test('a missing dir has no accounts', () => {
    expect(listKeystoreAccounts(join(root, 'nope'))).toEqual([])
  })

  test('refuses a 0644 file and says which file, which mode and the chmod', async () => {
    const file = await writeOne()
    chmodSync(file, 0o644)
    const err = (() => {
      try {
        listKeystoreAccounts(dir)
      } catch (e) {
        return e as InstanceType<typeof InsecurePermissionsError>
      }
    })()
    expect(err).toBeInstanceOf(InsecurePermissionsError)
    expect(err!.shortMessage).toContain(file)
    expect(err!.shortMessage).toContain('mode 0644')
    expect(err!.metaMessages?.join('\n')).toContain(`chmod 600 '${file}'`)
  })

  test('refuses a 0755 dir', async () => {
    await writeOne()
    chmodSync(dir, 0o755)
    expect(() => listKeystoreAccounts(dir)).toThrow(InsecurePermissionsError)
    expect(() => listKeystoreAccounts(dir)).toThrow(/mode 0755/)
  })

  test('refuses a symlinked file (also when read directly) and a symlinked dir', async () => {
    const real = await writeOne()
    const other = join(root, 'elsewhere')
    mkdirSync(other, { mode: 0o700 })
    const link = join(other, 'UTC--link')
    symlinkSync(real, link)
    expect(() => listKeystoreAccounts(other)).toThrow(/symlink/)
    expect(() => readKeystoreFile(link)).toThrow(InsecurePermissionsError)
    const dirLink = join(root, 'linked-keystore')
    symlinkSync(dir, dirLink)
    expect(() => listKeystoreAccounts(dirLink)).toThrow(/is a symlink/)
  })

  test('a malformed file names itself', async () => {
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'UTC--bad')
    writeFileSync(file, '{"version":3}', { mode: 0o600 })
    expect(() => listKeystoreAccounts(dir)).toThrow(KeystoreError)
    expect(() => listKeystoreAccounts(dir)).toThrow(file)
  })

  test('keystoreFileName', () => {
    expect(keystoreFileName('0xABCDEF0000000000000000000000000000000001', new Date(0))).toBe(
      'UTC--1970-01-01T00-00-00.000000000Z--abcdef0000000000000000000000000000000001',
    )
  })
})
