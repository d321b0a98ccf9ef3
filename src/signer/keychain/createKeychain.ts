/**
 * The OS keychain (macOS Keychain, Windows Credential Manager, Linux Secret Service) behind a small
 * interface. walletd stores a random 32-byte *wrapping key* per account there, never the passphrase
 * itself (see createPassphraseVault). Optional: when no keychain answers, `available()` is false,
 * `unavailableReason()` is one line to log, and walletd falls back to the other passphrase sources.
 */
export type Keychain = {
  /** Loads the native module and probes the store once (bounded by the timeout); never throws. */
  available(): Promise<boolean>
  /** One line saying why the keychain is unavailable (after `available()` resolved false). */
  unavailableReason(): string | undefined
  get(account: string): Promise<Uint8Array | null>
  set(account: string, secret: Uint8Array): Promise<void>
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>
}

/** What the native library provides; tests inject a fake. */
export type KeychainBackend = {
  get(service: string, account: string, signal: AbortSignal): Promise<Uint8Array | null>
  set(service: string, account: string, secret: Uint8Array, signal: AbortSignal): Promise<void>
  delete(service: string, account: string, signal: AbortSignal): Promise<boolean>
}

export type CreateKeychainOptions = {
  /** Service name of the entries. Default `walletd`. */
  service?: string
  /** Upper bound on every keychain call (a locked or absent store must not hang walletd). */
  timeoutMs?: number
  /** Default: `@napi-rs/keyring`, imported lazily. */
  loadBackend?: () => Promise<KeychainBackend>
}

export class KeychainUnavailableError extends Error {
  override name = 'KeychainUnavailableError'
}

const PROBE_ACCOUNT = '__walletd_probe__'

// Stryker disable all: the real native keychain, tested by createKeychain.secretService.test.ts (a private
// D-Bus session), which cannot run under Stryker (see vitest.mutate.config.ts)
/** `@napi-rs/keyring` (prebuilt N-API binaries). On Linux pinned to the Secret Service (persistent). */
export async function loadNapiKeyringBackend(): Promise<KeychainBackend> {
  const { AsyncEntry } = await import('@napi-rs/keyring')
  const entry = (service: string, account: string) =>
    new AsyncEntry(
      service,
      account,
      process.platform === 'linux' ? { linux: { store: 'secret-service' } } : {},
    )
  return {
    async get(service, account, signal) {
      const secret = await entry(service, account).getSecret(signal)
      if (secret === null) return null
      const out = Buffer.alloc(secret.length)
      out.set(secret)
      secret.fill(0)
      return out
    },
    async set(service, account, secret, signal) {
      await entry(service, account).setSecret(secret, signal)
    },
    async delete(service, account, signal) {
      return entry(service, account).deleteCredential(signal)
    },
  }
}
// Stryker restore all

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  const line = msg.split('\n', 1)[0]!.trim()
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'unknown error'
}

async function withTimeout<T>(ms: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort()
      reject(new Error(`${what} did not answer within ${ms} ms`))
    }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([fn(ac.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function createKeychain(options: CreateKeychainOptions = {}): Keychain {
  const service = options.service ?? 'walletd'
  const timeoutMs = options.timeoutMs ?? 5000
  const loadBackend = options.loadBackend ?? loadNapiKeyringBackend
  let probe: Promise<KeychainBackend | null> | undefined
  let reason: string | undefined

  function backend(): Promise<KeychainBackend | null> {
    probe ??= (async () => {
      try {
        const b = await withTimeout(timeoutMs, 'the keychain library', () => loadBackend())
        await withTimeout(timeoutMs, 'the OS keychain', (signal) => b.get(service, PROBE_ACCOUNT, signal))
        return b
      } catch (err) {
        reason = `OS keychain unavailable (${firstLine(err)}); using --password-file, WALLETD_PASSWORD or the terminal instead`
        return null
      }
    })()
    return probe
  }

  async function need(): Promise<KeychainBackend> {
    const b = await backend()
    // Stryker disable next-line StringLiteral: the failed probe always sets a reason
    if (!b) throw new KeychainUnavailableError(reason ?? 'OS keychain unavailable')
    return b
  }

  return {
    async available() {
      return (await backend()) !== null
    },
    unavailableReason: () => reason,
    async get(account) {
      const b = await need()
      return withTimeout(timeoutMs, 'the OS keychain', (signal) => b.get(service, account, signal))
    },
    async set(account, secret) {
      const b = await need()
      await withTimeout(timeoutMs, 'the OS keychain', (signal) => b.set(service, account, secret, signal))
    },
    async delete(account) {
      const b = await need()
      return withTimeout(timeoutMs, 'the OS keychain', (signal) => b.delete(service, account, signal))
    },
  }
}
