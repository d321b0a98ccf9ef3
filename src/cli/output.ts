import { WalletdError } from '../errors/base.js'
import { ExitCode, StartupError } from '../errors/startup.js'
import { describeFsError } from '../util/describeFsError.js'

/** CLI output goes through these (src bans console.*): stdout for results, stderr for errors. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2))
}

/** File system refusals a command meets in the data directory: said as such, not as a bug. */
const FS_REFUSALS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EIO'])

/**
 * Prints an error in the one shape of every CLI failure — `walletd: <message> [WALLETD_ERR_…]` on
 * stderr, then its detail lines indented — and returns its documented exit code.
 */
export function reportError(e: unknown): number {
  if (e instanceof StartupError) {
    err(`walletd: ${e.shortMessage} [${e.code}]`)
    for (const line of e.metaMessages ?? []) err(`  ${line}`)
    return e.exitCode
  }
  const fsCode = (e as NodeJS.ErrnoException | null)?.code
  if (typeof fsCode === 'string' && FS_REFUSALS.has(fsCode)) {
    const path = (e as { dest?: string }).dest ?? (e as NodeJS.ErrnoException).path
    err(
      `walletd: ${path ? `${path} cannot be written` : 'the data directory cannot be written'}: ${describeFsError(e)}. Nothing was changed; make the data directory writable or choose another one (--data-dir). [WALLETD_ERR_DATA_DIR]`,
    )
    return ExitCode.failure
  }
  const message =
    e instanceof WalletdError ? e.shortMessage : `unexpected error: ${(e as Error)?.message ?? String(e)}`
  err(`walletd: ${message.replace(/\s+$/, '')} [WALLETD_ERR_UNEXPECTED]`)
  return ExitCode.failure
}
