import {
  chmodSync,
  chownSync,
  existsSync,
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
import {
  checkPrivateDir,
  ensurePrivateDirChecked,
  findKeystoreFile,
  keystoreFileName,
  listKeystoreAccounts,
  listKeystoreFiles,
  readKeystoreFile,
  readPrivateFile,
  removeKeystoreFile,
  writeKeystoreFile,
} from './keystoreDir.js'

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

/** The error `fn` throws (with its short message and hints), or undefined. */
function thrown(fn: () => unknown): { shortMessage: string; metaMessages?: string[] } & Error {
  try {
    fn()
  } catch (err) {
    return err as never
  }
  throw new Error('did not throw')
}

describe('keystore directory: files, owners and modes', () => {
  const isRoot = process.getuid?.() === 0

  test('readPrivateFile: a 0600 or 0400 file up to 64 KiB; refuses group/world bits, naming mode and fix', () => {
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'f')
    writeFileSync(file, 'x'.repeat(64 * 1024), { mode: 0o600 })
    expect(readPrivateFile(file)).toHaveLength(64 * 1024)
    chmodSync(file, 0o400)
    expect(readPrivateFile(file).toString()).toBe('x'.repeat(64 * 1024))
    for (const mode of [0o640, 0o604, 0o610, 0o601]) {
      chmodSync(file, mode)
      const err = thrown(() => readPrivateFile(file))
      expect(err).toBeInstanceOf(InsecurePermissionsError)
      const octal = mode.toString(8).padStart(4, '0')
      expect(err.shortMessage).toBe(
        `Refusing to load file ${file}: mode ${octal} lets other users read or change it (want 0600)`,
      )
      expect(err.metaMessages).toEqual([`Fix it with: chmod 600 '${file}'`])
    }
    chmodSync(file, 0o600)
    writeFileSync(file, 'x'.repeat(64 * 1024 + 1))
    expect(thrown(() => readPrivateFile(file)).shortMessage).toBe(
      `Refusing to load ${file}: larger than 64 KiB`,
    )
    writeFileSync(file, '')
    expect(readPrivateFile(file)).toHaveLength(0)
  })

  test('readPrivateFile: a directory is not a regular file; a symlink is named; a missing file is ENOENT', () => {
    mkdirSync(join(dir, 'sub'), { recursive: true, mode: 0o700 })
    expect(thrown(() => readPrivateFile(join(dir, 'sub'))).shortMessage).toBe(
      `Refusing to load ${join(dir, 'sub')}: not a regular file`,
    )
    const target = join(dir, 'target')
    writeFileSync(target, '{}', { mode: 0o600 })
    const link = join(dir, 'link')
    symlinkSync(target, link)
    const err = thrown(() => readPrivateFile(link))
    expect(err).toBeInstanceOf(InsecurePermissionsError)
    expect(err.shortMessage).toBe(`Refusing to load file ${link}: it is a symlink`)
    expect(err.metaMessages).toEqual(['Replace the link with the file itself.'])
    expect((thrown(() => readPrivateFile(join(dir, 'absent'))) as NodeJS.ErrnoException).code).toBe('ENOENT')
  })

  test('a file or directory of another user is refused (as root, which can give one away)', () => {
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'f')
    writeFileSync(file, '{}', { mode: 0o600 })
    if (!isRoot) {
      // Only root can make a file of another user here.
      expect(() => chownSync(file, 4321, 4321)).toThrow(/EPERM/)
      return
    }
    chownSync(file, 4321, 4321)
    expect(thrown(() => readPrivateFile(file)).shortMessage).toBe(
      `Refusing to load file ${file}: it belongs to uid 4321, not to this user (uid 0)`,
    )
    chownSync(dir, 4321, 4321)
    expect(thrown(() => checkPrivateDir(dir)).shortMessage).toBe(
      `Refusing to load directory ${dir}: it belongs to uid 4321, not to this user (uid 0)`,
    )
  })

  test('checkPrivateDir: missing is false, a 0700 directory true; a file, a 0750 dir and a symlink are refused', () => {
    expect(checkPrivateDir(dir)).toBe(false)
    mkdirSync(dir, { mode: 0o700 })
    expect(checkPrivateDir(dir)).toBe(true)
    chmodSync(dir, 0o750)
    const err = thrown(() => checkPrivateDir(dir))
    expect(err.shortMessage).toBe(
      `Refusing to load directory ${dir}: mode 0750 lets other users read or change it (want 0700)`,
    )
    expect(err.metaMessages).toEqual([`Fix it with: chmod 700 '${dir}'`])
    chmodSync(dir, 0o700)
    const file = join(root, 'plain')
    writeFileSync(file, '')
    expect(thrown(() => checkPrivateDir(file)).shortMessage).toBe(`${file} is not a directory`)
    const link = join(root, 'link')
    symlinkSync(dir, link)
    const linkErr = thrown(() => checkPrivateDir(link))
    expect(linkErr).toBeInstanceOf(InsecurePermissionsError)
    expect(linkErr.shortMessage).toBe(`Refusing to load directory ${link}: it is a symlink`)
    expect(linkErr.metaMessages).toEqual(['Point walletd at the real directory (--data-dir) instead.'])
    // Not ENOENT: thrown as is.
    expect((thrown(() => checkPrivateDir(join(file, 'x'))) as NodeJS.ErrnoException).code).toBe('ENOTDIR')
  })

  test('ensurePrivateDirChecked creates missing parents 0700, and checks an existing dir', () => {
    const nested = join(root, 'a', 'b')
    ensurePrivateDirChecked(nested)
    expect(statSync(nested).mode & 0o777).toBe(0o700)
    ensurePrivateDirChecked(nested)
    chmodSync(nested, 0o755)
    expect(() => ensurePrivateDirChecked(nested)).toThrow(/mode 0755/)
  })

  test('listKeystoreFiles: sorted paths, skipping dot files, backups and subdirectories; a symlink refused', () => {
    mkdirSync(dir, { mode: 0o700 })
    for (const name of ['b', 'a', 'c~', '.hidden']) writeFileSync(join(dir, name), '', { mode: 0o600 })
    mkdirSync(join(dir, 'sub'))
    expect(listKeystoreFiles(dir)).toEqual([join(dir, 'a'), join(dir, 'b')])
    symlinkSync(join(dir, 'a'), join(dir, 'z'))
    const err = thrown(() => listKeystoreFiles(dir))
    expect(err.shortMessage).toBe(`Refusing to load file ${join(dir, 'z')}: it is a symlink`)
    expect(err.metaMessages).toEqual([
      'Replace the link with the file itself, or move it out of the keystore directory.',
    ])
  })

  test('find (any case), list without an address field, and remove into the trash', async () => {
    const file = await writeOne()
    expect(findKeystoreFile(dir, ADDRESS.toLowerCase() as never)).toBe(file)
    expect(findKeystoreFile(dir, ADDRESS.toUpperCase().replace('0X', '0x') as never)).toBe(file)
    expect(findKeystoreFile(dir, '0x000000000000000000000000000000000000dEaD')).toBeUndefined()
    const noAddress = join(dir, 'cast-new')
    writeFileSync(
      noAddress,
      readFileSync(new URL('../../../test/fixtures/keystore/cast-new.json', import.meta.url)),
      { mode: 0o600 },
    )
    expect(listKeystoreAccounts(dir)).toEqual([
      { address: ADDRESS, file },
      { address: null, file: noAddress },
    ])
    const trash = join(root, 'trash')
    const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    const dest = removeKeystoreFile(dir, ADDRESS, trash, when)
    expect(dest).toBe(join(trash, `${keystoreFileName(ADDRESS, when)}.removed`))
    expect(existsSync(file)).toBe(false)
    expect(existsSync(dest)).toBe(true)
    expect(statSync(trash).mode & 0o777).toBe(0o700)
    expect(thrown(() => removeKeystoreFile(dir, ADDRESS, trash)).shortMessage).toBe(
      `No keystore for ${ADDRESS} in ${dir}`,
    )
    expect(keystoreFileName('ab'.repeat(20), when)).toBe(
      `UTC--2026-01-02T03-04-05.006000000Z--${'ab'.repeat(20)}`,
    )
  })

  test('a second file for the same account is refused, naming the first', async () => {
    const file = await writeOne()
    const err = await writeOne().catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toBe(`Account ${ADDRESS} already exists in ${file}`)
  })
})

describe('keystore directory: more', () => {
  test('files come sorted whatever order the directory lists them in', () => {
    mkdirSync(dir, { mode: 0o700 })
    const names = Array.from(
      { length: 30 },
      (_, i) => `k${((i * 17) % 30).toString().padStart(2, '0')}-${(i * 7919) % 101}`,
    )
    for (const name of names) writeFileSync(join(dir, name), '', { mode: 0o600 })
    expect(listKeystoreFiles(dir)).toEqual([...names].sort().map((n) => join(dir, n)))
  })

  test('a malformed file: the error names the path and keeps the cause', () => {
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'bad')
    writeFileSync(file, '[]', { mode: 0o600 })
    const err = thrown(() => readKeystoreFile(file)) as Error & { shortMessage: string; cause?: unknown }
    expect(err.shortMessage).toBe(`${file}: Refusing keystore: not a JSON object`)
    expect((err.cause as { shortMessage: string }).shortMessage).toBe('Refusing keystore: not a JSON object')
  })

  test('reading a file closes it, refused or not', () => {
    mkdirSync(dir, { mode: 0o700 })
    const file = join(dir, 'f')
    writeFileSync(file, '{}', { mode: 0o600 })
    const open = () => readdirSync('/dev/fd').length
    const before = open()
    for (let i = 0; i < 20; i++) readPrivateFile(file)
    chmodSync(file, 0o644)
    for (let i = 0; i < 20; i++) expect(() => readPrivateFile(file)).toThrow(/mode 0644/)
    expect(open()).toBeLessThan(before + 5)
  })
})
