import { randomFillSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import type { Address } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { getAddress, isAddress } from 'viem/utils'
import { loadConfig } from '../config/loadConfig.js'
import { resolvePaths } from '../config/paths.js'
import { KeystoreError, UsageError, WrongPassphraseError } from '../errors/startup.js'
import { createKeychain, type Keychain } from '../signer/keychain/createKeychain.js'
import { createPassphraseVault } from '../signer/keychain/createPassphraseVault.js'
import { createHiddenPrompt, type HiddenPrompt } from '../signer/keystore/createHiddenPrompt.js'
import { decryptKeystore } from '../signer/keystore/decryptKeystore.js'
import { encryptKeystore } from '../signer/keystore/encryptKeystore.js'
import { fixedPassphrase, getPassphrase } from '../signer/keystore/getPassphrase.js'
import {
  findKeystoreFile,
  listKeystoreAccounts,
  listKeystoreFiles,
  readPrivateFile,
  removeKeystoreFile,
  writeKeystoreFile,
} from '../signer/keystore/keystoreDir.js'
import type { ScryptParams } from '../signer/keystore/parseKeystore.js'
import { privateKeyAddress } from '../signer/keystore/privateKeyAddress.js'
import { rememberedDirFor } from '../signer/unlockAccounts.js'
import { reportError } from './output.js'

export type AccountCommandDeps = {
  env?: NodeJS.ProcessEnv
  /** Results go here. Default process.stdout. */
  stdout?: NodeJS.WritableStream
  /** Hidden prompt; default: one on the process's TTY (none when stdin is not a terminal). */
  prompt?: HiddenPrompt | undefined
  /** Default: the OS keychain through @napi-rs/keyring. */
  keychain?: () => Keychain
  /** scrypt parameters for files written. Default: standard (n=2^18). Tests only. */
  scrypt?: ScryptParams
}

type Common = { config?: string; dataDir?: string; passwordFile?: string; json?: boolean }

const common = (c: Command) =>
  c
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory (the keystore is <dir>/keystore)')
    .option(
      '--password-file <file>',
      'read the passphrase from the first line of FILE (never pass secrets as arguments)',
    )

/** Parses hex text (optional 0x, surrounding whitespace) from bytes into a 32-byte Buffer, without strings. */
function parsePrivateKeyFile(raw: Buffer): Buffer {
  let start = 0
  let end = raw.length
  const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d
  while (start < end && isSpace(raw[start]!)) start++
  while (end > start && isSpace(raw[end - 1]!)) end--
  if (end - start >= 2 && raw[start] === 0x30 && (raw[start + 1] === 0x78 || raw[start + 1] === 0x58))
    start += 2
  if (end - start !== 64) throw new KeystoreError('The private key file must hold 32 bytes as 64 hex digits')
  const nibble = (b: number) =>
    b >= 0x30 && b <= 0x39
      ? b - 0x30
      : b >= 0x61 && b <= 0x66
        ? b - 0x57
        : b >= 0x41 && b <= 0x46
          ? b - 0x37
          : -1
  const key = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) {
    const hi = nibble(raw[start + 2 * i]!)
    const lo = nibble(raw[start + 2 * i + 1]!)
    if (hi < 0 || lo < 0) {
      key.fill(0)
      throw new KeystoreError('The private key file is not hex')
    }
    key[i] = (hi << 4) | lo
  }
  return key
}

/** Reads a file named by a flag; a missing or unreadable one is a usage error naming the flag. */
function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (code ?? 'unreadable')
    throw new UsageError(`Cannot read ${flag} ${path}: ${why}.`)
  }
}

function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new UsageError(`Not an address: ${value}`)
  return getAddress(value)
}

/**
 * `walletd account new | import | list | remove | remember | forget`. Secrets are never taken as
 * arguments: they come from files, `WALLETD_PASSWORD`, or a hidden prompt. Errors are printed by
 * reportError and set `process.exitCode` (keys: 8).
 */
export function createAccountCommand(deps: AccountCommandDeps = {}): Command {
  const env = deps.env ?? process.env
  const stdout = deps.stdout ?? process.stdout
  const print = (text: string) => stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  const warn = (m: string) => process.stderr.write(`walletd: warning: ${m}\n`)
  const prompt = () => ('prompt' in deps ? deps.prompt : createHiddenPrompt())
  const keychain = deps.keychain ?? (() => createKeychain())
  const encryptOpts = deps.scrypt ? { scrypt: deps.scrypt } : {}

  const paths = (flags: Common) => {
    const config = loadConfig({
      file: flags.config,
      env,
      overrides: flags.dataDir ? { dataDir: flags.dataDir } : {},
    })
    return resolvePaths(config, env)
  }
  const source = (flags: Common) => ({ passwordFile: flags.passwordFile, env, prompt: prompt() })
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void> | void) =>
    async (...args: A) => {
      try {
        await fn(...args)
      } catch (e) {
        process.exitCode = reportError(e)
      }
    }

  /** Encrypts with a new passphrase and writes; zeroes the key. */
  async function store(flags: Common, key: Buffer, passphrase?: Buffer): Promise<void> {
    let pass = passphrase
    try {
      const { keystoreDir } = paths(flags)
      const address = privateKeyAddress(key)
      const existing = findKeystoreFile(keystoreDir, address)
      if (existing) throw new KeystoreError(`Account ${address} already exists in ${existing}`)
      pass ??= await getPassphrase(source(flags), 'New passphrase for the keystore: ', {
        confirm: true,
        warn,
      })
      const mismatch = await passphraseMismatch(keystoreDir, pass)
      const ks = await encryptKeystore(key, pass, encryptOpts)
      const file = writeKeystoreFile(keystoreDir, ks)
      if (mismatch) warn(mismatch)
      if (flags.json) print(JSON.stringify({ address, file, ...(mismatch ? { warning: mismatch } : {}) }))
      else print(`${address}\t${file}`)
    } finally {
      key.fill(0)
      pass?.fill(0)
    }
  }

  /**
   * `walletd start` unlocks every account with one passphrase when it comes from a password file
   * or WALLETD_PASSWORD: a new account whose passphrase differs from that one, or from the
   * accounts already there, would stop it (exit 8). Said at import time, not at the next start.
   */
  async function passphraseMismatch(keystoreDir: string, pass: Buffer): Promise<string | null> {
    const startPass = fixedPassphrase({ env })
    if (startPass) {
      try {
        if (!startPass.passphrase.equals(pass))
          return `this account's passphrase differs from ${startPass.source === 'password file' ? 'WALLETD_PASSWORD_FILE' : 'WALLETD_PASSWORD'} in this environment: \`walletd start\` with it will stop with WALLETD_ERR_WRONG_PASSPHRASE (exit 8). Use the same passphrase, or \`walletd account remember <address>\`.`
        return null
      } finally {
        startPass.passphrase.fill(0)
      }
    }
    const other = listKeystoreFiles(keystoreDir)[0]
    if (!other) return null
    try {
      ;(await decryptKeystore(readPrivateFile(other), pass, {})).fill(0)
      return null
    } catch (e) {
      if (!(e instanceof WrongPassphraseError)) return null
      return `this account's passphrase differs from the one of ${other}: \`walletd start --password-file\` (or WALLETD_PASSWORD) uses one passphrase for every account and will stop with WALLETD_ERR_WRONG_PASSPHRASE (exit 8). Use the same passphrase for all accounts, or \`walletd account remember <address>\` for each.`
    }
  }

  const account = new Command('account').description(
    'Manage the keystore (keys encrypted at rest, scrypt + AES).',
  )

  common(account.command('new').description('Create a new random account.'))
    .option('--json', 'machine-readable output')
    .action(
      run(async (flags: Common) => {
        const key = Buffer.alloc(32)
        // A uniformly random 32-byte value is a valid key except with negligible probability; retry then.
        for (;;) {
          randomFillSync(key)
          try {
            privateKeyAddress(key)
            break
          } catch {}
        }
        await store(flags, key)
      }),
    )

  common(account.command('import').description('Import a key from a file (never from an argument).'))
    .option('--private-key-file <file>', 'file holding the private key as hex')
    .option('--mnemonic-file <file>', "file holding a BIP-39 mnemonic (path m/44'/60'/0'/0/<index>)")
    .option('--index <n>', 'address index with --mnemonic-file', '0')
    .option(
      '--keystore <file>',
      'an existing keystore v3 file (geth, foundry); re-encrypted with standard parameters',
    )
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (
          flags: Common & {
            privateKeyFile?: string
            mnemonicFile?: string
            index: string
            keystore?: string
          },
        ) => {
          const given = [flags.privateKeyFile, flags.mnemonicFile, flags.keystore].filter(
            (v) => v !== undefined,
          )
          if (given.length !== 1) {
            throw new UsageError('Give exactly one of --private-key-file, --mnemonic-file or --keystore')
          }
          if (flags.privateKeyFile) {
            const raw = readFlagFile('--private-key-file', flags.privateKeyFile)
            let key: Buffer
            try {
              key = parsePrivateKeyFile(raw)
            } finally {
              raw.fill(0)
            }
            return store(flags, key)
          }
          if (flags.mnemonicFile) {
            if (!/^\d+$/.test(flags.index) || Number(flags.index) > 2 ** 31 - 1) {
              throw new UsageError(`--index must be an integer 0..2147483647 (got ${flags.index})`)
            }
            const raw = readFlagFile('--mnemonic-file', flags.mnemonicFile)
            let hd: ReturnType<typeof mnemonicToAccount>
            try {
              // viem takes the phrase as a string (cannot be wiped); the file buffer is.
              const phrase = raw.toString('utf8').trim().split(/\s+/).join(' ')
              hd = mnemonicToAccount(phrase, { addressIndex: Number(flags.index) })
            } catch {
              throw new KeystoreError('The mnemonic file does not hold a valid BIP-39 mnemonic')
            } finally {
              raw.fill(0)
            }
            const pk = hd.getHdKey().privateKey
            if (!pk) throw new KeystoreError('Could not derive a private key from the mnemonic')
            const key = Buffer.alloc(32)
            key.set(pk)
            return store(flags, key)
          }
          // --keystore: decrypt with its passphrase, re-encrypt under standard parameters with the same one.
          const file = flags.keystore as string
          const raw = readFlagFile('--keystore', file)
          if (raw.length > 64 * 1024) throw new KeystoreError(`${file} is larger than 64 KiB`)
          const pass = await getPassphrase(source(flags), `Passphrase of ${file}: `, { warn })
          let key: Buffer
          try {
            key = Buffer.from(await decryptKeystore(raw, pass, {}))
          } catch (e) {
            pass.fill(0)
            throw e
          }
          return store(flags, key, pass)
        },
      ),
    )

  common(account.command('list').description('List accounts (reads addresses; decrypts nothing).'))
    .option('--json', 'machine-readable output')
    .action(
      run((flags: Common) => {
        const { keystoreDir } = paths(flags)
        const list = listKeystoreAccounts(keystoreDir)
        if (flags.json) print(JSON.stringify(list, null, 2))
        else if (list.length === 0) print(`No accounts in ${keystoreDir}.`)
        else for (const a of list) print(`${a.address ?? '(no address field)'}\t${a.file}`)
      }),
    )

  common(
    account.command('remove <address>').description('Move an account out of the keystore (recoverable).'),
  )
    .option('--yes', 'confirm')
    .action(
      run(async (addr: string, flags: Common & { yes?: boolean }) => {
        const address = parseAddress(addr)
        const p = paths(flags)
        if (!flags.yes) {
          throw new UsageError(
            `Removing ${address} needs --yes (the file is moved to ${join(p.dataDir, 'removed-keys')})`,
          )
        }
        const dest = removeKeystoreFile(p.keystoreDir, address, join(p.dataDir, 'removed-keys'))
        const kc = keychain()
        await createPassphraseVault({ keychain: kc, dir: rememberedDirFor(p.keystoreDir) })
          .forget(address)
          .catch(() => undefined)
        print(`Removed ${address} from the keystore; the encrypted file is now ${dest}`)
      }),
    )

  common(
    account
      .command('remember <address>')
      .description("Remember the account's passphrase with the OS keychain."),
  ).action(
    run(async (addr: string, flags: Common) => {
      const address = parseAddress(addr)
      const p = paths(flags)
      const kc = keychain()
      if (!(await kc.available())) {
        throw new KeystoreError(kc.unavailableReason() ?? 'OS keychain unavailable')
      }
      const file = findKeystoreFile(p.keystoreDir, address)
      if (!file) throw new KeystoreError(`No keystore for ${address} in ${p.keystoreDir}`)
      const pass = await getPassphrase(source(flags), `Passphrase for ${address}: `, { warn })
      try {
        const key = await decryptKeystore(readPrivateFile(file), pass)
        key.fill(0)
        await createPassphraseVault({ keychain: kc, dir: rememberedDirFor(p.keystoreDir) }).remember(
          address,
          pass,
        )
      } finally {
        pass.fill(0)
      }
      print(`The passphrase for ${address} is remembered (OS keychain + ${rememberedDirFor(p.keystoreDir)}).`)
    }),
  )

  common(account.command('forget <address>').description('Forget a remembered passphrase.')).action(
    run(async (addr: string, flags: Common) => {
      const address = parseAddress(addr)
      const p = paths(flags)
      const res = await createPassphraseVault({
        keychain: keychain(),
        dir: rememberedDirFor(p.keystoreDir),
      }).forget(address)
      print(
        res.keychain || res.file
          ? `Forgot the passphrase for ${address}.`
          : `Nothing remembered for ${address}.`,
      )
    }),
  )

  return account
}
