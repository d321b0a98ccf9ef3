import { readFileSync, statSync } from 'node:fs'
import { KeystoreError } from '../../errors/startup.js'

/**
 * Reads a password file (`--password-file`, `WALLETD_PASSWORD_FILE`): its first line, without the
 * line ending, into a fresh Buffer the caller zeroes. Group/world-readable files are allowed (Docker
 * secrets are 0444) but reported through `warn`.
 */
export function readPasswordFile(path: string, warn?: (message: string) => void): Buffer {
  let raw: Buffer
  try {
    raw = readFileSync(path)
  } catch (err) {
    throw new KeystoreError(`Cannot read the password file ${path}: ${(err as NodeJS.ErrnoException).code}`)
  }
  try {
    // Stryker disable next-line ConditionalExpression,StringLiteral: true on the POSIX systems the tests run on
    const posix = process.platform !== 'win32'
    if (posix && (statSync(path).mode & 0o077) !== 0) {
      warn?.(`password file ${path} is readable by other users; consider chmod 600 '${path}'`)
    }
    let end = raw.indexOf(0x0a)
    if (end === -1) end = raw.length
    if (raw[end - 1] === 0x0d) end--
    if (end === 0) throw new KeystoreError(`The password file ${path} is empty`)
    const out = Buffer.alloc(end)
    raw.copy(out, 0, 0, end)
    return out
  } finally {
    raw.fill(0)
  }
}
