import { WalletdError } from '../errors/base.js'
import { ExitCode, StartupError } from '../errors/startup.js'

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
  const message =
    e instanceof WalletdError ? e.shortMessage : `unexpected error: ${(e as Error)?.message ?? String(e)}`
  err(`walletd: ${message.replace(/\s+$/, '')} [WALLETD_ERR_UNEXPECTED]`)
  return ExitCode.failure
}
