import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  type Stats,
} from 'node:fs'
import { join } from 'node:path'
import type { Address } from 'viem'
import { getAddress } from 'viem/utils'
import { InsecurePermissionsError, KeystoreError } from '../../errors/startup.js'
import { writeFileAtomic } from '../../util/writeFileAtomic.js'
import type { KeystoreV3 } from './encryptKeystore.js'
import { type ParsedKeystore, parseKeystore } from './parseKeystore.js'

const MAX_FILE_BYTES = 64 * 1024

function currentUid(): number | undefined {
  // Stryker disable next-line ConditionalExpression: true on the POSIX systems the tests run on
  return typeof process.getuid === 'function' ? process.getuid() : undefined
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0')
}

/** Refuses a path that is not ours or is readable/writable by group or others. POSIX only. */
function checkOwnerAndMode(path: string, st: Stats, kind: 'file' | 'directory'): void {
  // Stryker disable next-line ConditionalExpression,StringLiteral: false on the POSIX systems the tests run on
  if (process.platform === 'win32') return
  const want = kind === 'file' ? '0600' : '0700'
  if ((st.mode & 0o077) !== 0) {
    throw new InsecurePermissionsError(
      `Refusing to load ${kind} ${path}: mode ${octal(st.mode)} lets other users read or change it (want ${want})`,
      { metaMessages: [`Fix it with: chmod ${want.slice(1)} '${path}'`] },
    )
  }
  const uid = currentUid()
  // Stryker disable next-line ConditionalExpression: uid is defined on the POSIX systems the tests run on
  if (uid !== undefined && st.uid !== uid) {
    throw new InsecurePermissionsError(
      `Refusing to load ${kind} ${path}: it belongs to uid ${st.uid}, not to this user (uid ${uid})`,
    )
  }
}

/**
 * Checks that `dir` is a real directory (not a symlink) owned by this user with mode 0700.
 * Returns false when it does not exist.
 */
export function checkPrivateDir(dir: string): boolean {
  let st: Stats
  try {
    st = lstatSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
  if (st.isSymbolicLink()) {
    throw new InsecurePermissionsError(`Refusing to load directory ${dir}: it is a symlink`, {
      metaMessages: ['Point walletd at the real directory (--data-dir) instead.'],
    })
  }
  if (!st.isDirectory()) throw new KeystoreError(`${dir} is not a directory`)
  checkOwnerAndMode(dir, st, 'directory')
  return true
}

/** Creates `dir` with mode 0700 when missing, then checks it like {@link checkPrivateDir}. */
export function ensurePrivateDirChecked(dir: string): void {
  // Stryker disable next-line ConditionalExpression: mkdir -p of an existing directory changes nothing
  if (!checkPrivateDir(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    checkPrivateDir(dir)
  }
}

/**
 * Reads a private file: refuses symlinks (O_NOFOLLOW, no race between check and open), anything but
 * a regular file, group/world access, another owner, and more than 64 KiB.
 */
export function readPrivateFile(path: string): Buffer {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new InsecurePermissionsError(`Refusing to load file ${path}: it is a symlink`, {
        metaMessages: ['Replace the link with the file itself.'],
      })
    }
    throw err
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new KeystoreError(`Refusing to load ${path}: not a regular file`)
    checkOwnerAndMode(path, st, 'file')
    if (st.size > MAX_FILE_BYTES) throw new KeystoreError(`Refusing to load ${path}: larger than 64 KiB`)
    const buf = Buffer.alloc(st.size)
    let off = 0
    // A file that shrinks while read (a race) ends the loop early; none of it is reachable otherwise.
    // Stryker disable next-line EqualityOperator: a read at the end returns 0 and ends the loop
    while (off < buf.length) {
      // Stryker disable next-line ArithmeticOperator: the first read asks for the whole file either way
      const n = readSync(fd, buf, off, buf.length - off, off)
      // Stryker disable next-line ConditionalExpression: only a file that shrinks while read gets here
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

/** Files geth would consider key files: skips hidden files, editor backups and subdirectories. */
function isCandidate(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('~')
}

/**
 * The keystore files in `dir` (absolute paths, sorted). The directory must be 0700 and ours; a
 * symlink among the files is refused. A missing directory has no files.
 */
export function listKeystoreFiles(dir: string): string[] {
  if (!checkPrivateDir(dir)) return []
  const out: string[] = []
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (!isCandidate(ent.name)) continue
    const path = join(dir, ent.name)
    if (ent.isSymbolicLink()) {
      throw new InsecurePermissionsError(`Refusing to load file ${path}: it is a symlink`, {
        metaMessages: ['Replace the link with the file itself, or move it out of the keystore directory.'],
      })
    }
    if (ent.isFile()) out.push(path)
  }
  return out.sort()
}

/** Reads and validates one keystore file (permissions checked, no decryption). */
export function readKeystoreFile(path: string): ParsedKeystore {
  const raw = readPrivateFile(path)
  try {
    return parseKeystore(raw)
  } catch (err) {
    // Stryker disable next-line ConditionalExpression: parseKeystore throws nothing else
    if (err instanceof KeystoreError) {
      throw new KeystoreError(`${path}: ${err.shortMessage}`, { cause: err })
    }
    throw err
  }
}

export type KeystoreEntry = {
  /** Checksummed address from the file's `address` field; null when the file has none. */
  address: Address | null
  file: string
}

/** Lists accounts by reading the files' `address` fields, without decrypting anything. */
export function listKeystoreAccounts(dir: string): KeystoreEntry[] {
  return listKeystoreFiles(dir).map((file) => {
    const ks = readKeystoreFile(file)
    return { address: ks.address ? getAddress(ks.address) : null, file }
  })
}

/** The keystore file holding `address` (by its `address` field), or undefined. */
export function findKeystoreFile(dir: string, address: Address): string | undefined {
  const want = address.toLowerCase()
  return listKeystoreAccounts(dir).find((e) => e.address?.toLowerCase() === want)?.file
}

/** geth's file name: `UTC--2026-05-08T07-50-55.527000000Z--<address without 0x, lowercase>`. */
export function keystoreFileName(address: string, now: Date): string {
  const iso = now
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.(\d{3})Z$/, '.$1000000Z')
  // Stryker disable next-line Regex: hex has no "x" but the prefix's
  return `UTC--${iso}--${address.toLowerCase().replace(/^0x/, '')}`
}

/**
 * Writes a new keystore file atomically (0600 in a 0700 directory). Refuses when an account with the
 * same address already exists. Returns the path.
 */
export function writeKeystoreFile(dir: string, keystore: KeystoreV3, now: Date = new Date()): string {
  ensurePrivateDirChecked(dir)
  const existing = findKeystoreFile(dir, `0x${keystore.address}`)
  if (existing) {
    throw new KeystoreError(`Account ${getAddress(`0x${keystore.address}`)} already exists in ${existing}`)
  }
  const path = join(dir, keystoreFileName(keystore.address, now))
  writeFileAtomic(path, `${JSON.stringify(keystore)}\n`, 0o600)
  return path
}

/**
 * Moves the keystore file of `address` out of the keystore into `trashDir` (0700), so a mistaken
 * `remove` is recoverable. Returns the new path.
 */
export function removeKeystoreFile(
  dir: string,
  address: Address,
  trashDir: string,
  now = new Date(),
): string {
  const file = findKeystoreFile(dir, address)
  if (!file) throw new KeystoreError(`No keystore for ${address} in ${dir}`)
  ensurePrivateDirChecked(trashDir)
  const dest = join(trashDir, `${keystoreFileName(address, now)}.removed`)
  renameSync(file, dest)
  return dest
}
