import { dirname, join } from 'node:path'
import type { Address } from 'viem'
import { getAddress } from 'viem/utils'
import { KeystoreError, WrongPassphraseError } from '../errors/startup.js'
import { addressOfPublicKey, publicKeyOf } from './keyAddress.js'
import type { Keychain } from './keychain/createKeychain.js'
import { createPassphraseVault } from './keychain/createPassphraseVault.js'
import type { KdfLimiter } from './keystore/createKdfLimiter.js'
import { decryptKeystore } from './keystore/decryptKeystore.js'
import { fixedPassphrase, type PassphraseSource } from './keystore/getPassphrase.js'
import { listKeystoreFiles, readPrivateFile } from './keystore/keystoreDir.js'
import { parseKeystore } from './keystore/parseKeystore.js'

/** A decrypted account: its address and its 32-byte private key (the caller zeroes it when done). */
export type UnlockedAccount = { address: Address; privateKey: Uint8Array }

export type UnlockLog = {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export type UnlockAccountsOptions = {
  keystoreDir: string
  passphraseSource: PassphraseSource
  /** The OS keychain; null/undefined to skip it. */
  keychain?: Keychain | null | undefined
  /** Where remembered-passphrase envelopes live. Default: `<keystoreDir>/../remembered`. */
  rememberedDir?: string
  log: UnlockLog
  /** Monotonic clock in ms (for the unlock duration in the log). */
  now?: () => number
  limiter?: KdfLimiter
  /** Attempts at the terminal prompt per account. Default 3. */
  promptAttempts?: number
  /** Accounts already decrypted (by file), e.g. the first one checked before listening: not decrypted again. */
  alreadyUnlocked?: ReadonlyMap<string, UnlockedAccount>
}

/** Default location of the remembered-passphrase envelopes for a keystore directory. */
export function rememberedDirFor(keystoreDir: string): string {
  return join(dirname(keystoreDir), 'remembered')
}

/**
 * Decrypts every keystore file in `keystoreDir` (permissions checked first: a 0644 file, a 0755
 * directory or a symlink is refused) and returns viem local accounts. Passphrase sources, in order:
 * password file, `WALLETD_PASSWORD`, the OS keychain (when remembered), the terminal. An explicit
 * source (file/env) that does not decrypt an account is an error; a stale keychain entry falls back
 * to the prompt. Returns each account's address and key bytes; the caller hands them to
 * `createSigner` (which keeps its own copy) and zeroes them. On an error, keys already decrypted
 * are zeroed before it is thrown.
 */
export async function unlockAccounts(opts: UnlockAccountsOptions): Promise<UnlockedAccount[]> {
  const { keystoreDir, passphraseSource, log } = opts
  const now = opts.now ?? (() => performance.now())
  const attempts = opts.promptAttempts ?? 3
  const files = listKeystoreFiles(keystoreDir)
  if (files.length === 0) {
    log.info({ keystoreDir }, 'no keystore files; no accounts unlocked')
    return []
  }

  const fixed = fixedPassphrase(passphraseSource, (m) => log.warn({}, m))
  let vault: ReturnType<typeof createPassphraseVault> | null = null
  if (!fixed && opts.keychain) {
    if (await opts.keychain.available()) {
      vault = createPassphraseVault({
        keychain: opts.keychain,
        dir: opts.rememberedDir ?? rememberedDirFor(keystoreDir),
      })
    } else {
      log.warn({}, opts.keychain.unavailableReason() ?? 'OS keychain unavailable')
    }
  }

  const accounts: UnlockedAccount[] = []
  const seen = new Map<string, string>()
  try {
    for (const file of files) {
      const pre = opts.alreadyUnlocked?.get(file)
      if (pre) {
        if (seen.has(pre.address)) throw new KeystoreError(`Account ${pre.address} appears twice`)
        seen.set(pre.address, file)
        accounts.push(pre)
        continue
      }
      const raw = readPrivateFile(file)
      let address: `0x${string}` | undefined
      try {
        address = parseKeystore(raw).address
      } catch (err) {
        if (err instanceof KeystoreError)
          throw new KeystoreError(`${file}: ${err.shortMessage}`, { cause: err })
        throw err
      }
      const label = address ? `${getAddress(address)} (${file})` : file
      const started = now()
      const tryDecrypt = async (pass: Uint8Array) => {
        try {
          return await decryptKeystore(raw, pass, opts.limiter ? { limiter: opts.limiter } : {})
        } catch (err) {
          if (err instanceof WrongPassphraseError) return null
          if (err instanceof KeystoreError)
            throw new KeystoreError(`${file}: ${err.shortMessage}`, { cause: err })
          throw err
        }
      }

      let key: Uint8Array | null = null
      // Stryker disable next-line StringLiteral: every path that unlocks the account sets it
      let source = ''
      if (fixed) {
        key = await tryDecrypt(fixed.passphrase)
        if (!key) {
          throw new WrongPassphraseError(
            `Could not decrypt ${label} with the passphrase from ${fixed.source}: wrong passphrase or corrupted file`,
          )
        }
        source = fixed.source
      }
      if (!key && vault && address) {
        try {
          const pass = await vault.recall(getAddress(address))
          if (pass) {
            try {
              key = await tryDecrypt(pass)
            } finally {
              pass.fill(0)
            }
            if (key) source = 'OS keychain'
            else
              log.warn(
                { address },
                'the remembered passphrase no longer decrypts this account; asking instead',
              )
          }
        } catch (err) {
          log.warn(
            { address },
            err instanceof Error
              ? ((err as { shortMessage?: string }).shortMessage ?? err.message)
              : String(err),
          )
        }
      }
      if (!key && passphraseSource.prompt) {
        for (let i = 0; i < attempts && !key; i++) {
          const pass = await passphraseSource.prompt(`Passphrase for ${label}: `)
          try {
            key = await tryDecrypt(pass)
          } finally {
            pass.fill(0)
          }
          if (!key) log.warn({ file }, 'wrong passphrase')
        }
        if (!key)
          throw new WrongPassphraseError(
            `Could not decrypt ${label}: wrong passphrase (${attempts} attempts)`,
          )
        source = 'terminal'
      }
      if (!key) {
        throw new KeystoreError(
          `No passphrase for ${label}: pass --password-file FILE, set WALLETD_PASSWORD, run \`walletd account remember <address>\`, or start walletd in a terminal`,
        )
      }
      let account: UnlockedAccount
      // Stryker disable all: the catch is defence in depth, unreachable: decryptKeystore already refuses such a key
      try {
        account = { address: addressOfPublicKey(publicKeyOf(key)), privateKey: key }
      } catch (err) {
        key.fill(0)
        throw new KeystoreError(`${file}: the decrypted key is not a valid secp256k1 key`, { cause: err })
      }
      // Stryker restore all
      const prev = seen.get(account.address)
      if (prev) {
        key.fill(0)
        throw new KeystoreError(`Account ${account.address} appears twice: ${prev} and ${file}`)
      }
      seen.set(account.address, file)
      accounts.push(account)
      log.info(
        { address: account.address, file, source, ms: Math.round(now() - started) },
        'account unlocked',
      )
    }
  } catch (err) {
    for (const account of accounts) account.privateKey.fill(0)
    throw err
  } finally {
    fixed?.passphrase.fill(0)
  }
  return accounts
}
