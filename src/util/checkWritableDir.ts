import { accessSync, constants } from 'node:fs'
import { DataDirError } from '../errors/startup.js'
import { describeFsError } from './describeFsError.js'
import { ensurePrivateDir } from './writeFileAtomic.js'

/**
 * Creates `dir` (0700) when missing and checks this process may write in it, so `start` fails at
 * once with a clear error (`WALLETD_ERR_DATA_DIR`) rather than at the first grant or audit line.
 * Changes nothing in a directory that cannot be written.
 */
export function checkWritableDir(dir: string, what: string): void {
  try {
    ensurePrivateDir(dir)
    accessSync(dir, constants.W_OK)
  } catch (err) {
    throw new DataDirError(
      `The ${what} ${dir} cannot be written: ${describeFsError(err)}. walletd keeps its sessions, tokens and audit log there; make it writable or choose another one (--data-dir).`,
      { cause: err },
    )
  }
}
