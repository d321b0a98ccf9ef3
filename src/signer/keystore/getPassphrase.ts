import { KeystoreError } from '../../errors/startup.js'
import type { HiddenPrompt } from './createHiddenPrompt.js'
import { readPasswordFile } from './readPasswordFile.js'

/**
 * Where passphrases come from, in this order: a password file, `WALLETD_PASSWORD`, (for unlock: the
 * OS keychain), the terminal. Secrets never come from argv.
 */
export type PassphraseSource = {
  /** `--password-file FILE` (else `WALLETD_PASSWORD_FILE` from `env`): the first line is the passphrase. */
  passwordFile?: string | undefined
  /** Where `WALLETD_PASSWORD` / `WALLETD_PASSWORD_FILE` are read. Default: none. */
  env?: Record<string, string | undefined>
  /** Hidden terminal prompt; only when stdin is a TTY (see createHiddenPrompt). */
  prompt?: HiddenPrompt | undefined
}

export type FixedPassphrase = { passphrase: Buffer; source: 'password file' | 'WALLETD_PASSWORD' }

/** The passphrase from a password file or `WALLETD_PASSWORD`, when one is configured. */
export function fixedPassphrase(
  source: PassphraseSource,
  warn?: (m: string) => void,
): FixedPassphrase | null {
  const file = source.passwordFile ?? source.env?.WALLETD_PASSWORD_FILE
  if (file) return { passphrase: readPasswordFile(file, warn), source: 'password file' }
  const envPass = source.env?.WALLETD_PASSWORD
  if (envPass) {
    const out = Buffer.alloc(Buffer.byteLength(envPass))
    out.write(envPass)
    return { passphrase: out, source: 'WALLETD_PASSWORD' }
  }
  return null
}

/**
 * A passphrase for a CLI action: password file, `WALLETD_PASSWORD`, else the hidden prompt (asked
 * twice when `confirm`). Throws when none is available.
 */
export async function getPassphrase(
  source: PassphraseSource,
  question: string,
  { confirm = false, warn }: { confirm?: boolean; warn?: (m: string) => void } = {},
): Promise<Buffer> {
  const fixed = fixedPassphrase(source, warn)
  if (fixed) return fixed.passphrase
  if (!source.prompt) {
    throw new KeystoreError(
      'No passphrase: pass --password-file FILE or set WALLETD_PASSWORD (stdin is not a terminal, so walletd cannot ask)',
    )
  }
  const first = await source.prompt(question)
  if (first.length === 0) {
    throw new KeystoreError('Empty passphrase refused')
  }
  if (confirm) {
    const second = await source.prompt('Repeat the passphrase: ')
    try {
      if (!first.equals(second)) {
        first.fill(0)
        throw new KeystoreError('The passphrases do not match')
      }
    } finally {
      second.fill(0)
    }
  }
  return first
}
