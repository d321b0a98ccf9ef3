import { WalletdError, type WalletdErrorOptions } from './base.js'

/**
 * Errors of boot, configuration and the CLI. Never sent over RPC. Each has a stable
 * `WALLETD_ERR_*` code (documented in docs/errors.md, enforced by a test) and a process exit code.
 */
export class StartupError extends WalletdError {
  override name = 'StartupError'
  readonly code: string
  readonly exitCode: number
  constructor(code: string, exitCode: number, shortMessage: string, options?: WalletdErrorOptions) {
    super(shortMessage, options)
    this.code = code
    this.exitCode = exitCode
  }
}

/** Exit codes of the `walletd` CLI (documented in the README). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  notRunning: 4,
  alreadyRunning: 5,
  portUnavailable: 6,
  upstream: 7,
  keys: 8,
} as const

function define(code: string, exitCode: number) {
  const cls = class extends StartupError {
    static readonly code = code
    constructor(shortMessage: string, options?: WalletdErrorOptions) {
      super(code, exitCode, shortMessage, options)
    }
  }
  Object.defineProperty(cls, 'name', { value: code })
  return cls
}

export const ConfigInvalidError = define('WALLETD_ERR_CONFIG_INVALID', ExitCode.config)
export const ConfigFileError = define('WALLETD_ERR_CONFIG_FILE', ExitCode.config)
export const AlreadyRunningError = define('WALLETD_ERR_ALREADY_RUNNING', ExitCode.alreadyRunning)
export const NotRunningError = define('WALLETD_ERR_NOT_RUNNING', ExitCode.notRunning)
export const PortUnavailableError = define('WALLETD_ERR_PORT_UNAVAILABLE', ExitCode.portUnavailable)
export const UpstreamUnavailableError = define('WALLETD_ERR_UPSTREAM_UNAVAILABLE', ExitCode.upstream)
export const AnvilStartError = define('WALLETD_ERR_ANVIL_START', ExitCode.upstream)
export const InsecurePermissionsError = define('WALLETD_ERR_INSECURE_PERMISSIONS', ExitCode.failure)
export const TokenError = define('WALLETD_ERR_TOKEN', ExitCode.usage)
export const UsageError = define('WALLETD_ERR_USAGE', ExitCode.usage)
/** A keystore file or directory walletd refuses (bad JSON, KDF params out of bounds, address mismatch). */
export const KeystoreError = define('WALLETD_ERR_KEYSTORE', ExitCode.keys)
/** A keystore did not decrypt: wrong passphrase or corrupted file (the MAC did not match). */
export const WrongPassphraseError = define('WALLETD_ERR_WRONG_PASSPHRASE', ExitCode.keys)
/** The daemon's identity key file is unreadable or not a P-256 private key (walletd never replaces it silently). */
export const IdentityKeyError = define('WALLETD_ERR_IDENTITY_KEY', ExitCode.failure)

/** A policy file that cannot be read, is not JSON, or breaks the policy schema (the rule and key are named). */
export const PolicyInvalidError = define('WALLETD_ERR_POLICY_INVALID', ExitCode.config)
/** A policy file whose exact content was not attested with `walletd policy attest` (new or changed). */
export const PolicyUnattestedError = define('WALLETD_ERR_POLICY_UNATTESTED', ExitCode.config)
/** The admin socket cannot be created (start) or reached though the daemon runs (CLI). */
export const AdminSocketError = define('WALLETD_ERR_ADMIN_SOCKET', ExitCode.failure)
/** Something named on the command line does not exist: a token, a pending request id, an origin's grant. */
export const NotFoundError = define('WALLETD_ERR_NOT_FOUND', ExitCode.usage)
/** The daemon refused a decision from the CLI (it takes none: started without the cli approver). */
export const ApprovalRefusedError = define('WALLETD_ERR_APPROVAL_REFUSED', ExitCode.failure)
/** The audit log's hash chain is broken (a line edited, removed, reordered or cut short). */
export const AuditLogError = define('WALLETD_ERR_AUDIT', ExitCode.failure)

/** `walletd stop`: the daemon did not exit in time. */
export const StopTimeoutError = define('WALLETD_ERR_STOP_TIMEOUT', ExitCode.failure)

/** A failure walletd did not foresee (a bug, or the system refused something); the message says what. */
export const UnexpectedError = define('WALLETD_ERR_UNEXPECTED', ExitCode.failure)
/** `start`: the data directory (or the runtime directory) cannot be created or written. */
export const DataDirError = define('WALLETD_ERR_DATA_DIR', ExitCode.failure)

/** Every startup error class, for docs and tests. */
export const startupErrorClasses = [
  ConfigInvalidError,
  ConfigFileError,
  AlreadyRunningError,
  NotRunningError,
  PortUnavailableError,
  UpstreamUnavailableError,
  AnvilStartError,
  InsecurePermissionsError,
  TokenError,
  UsageError,
  KeystoreError,
  WrongPassphraseError,
  PolicyInvalidError,
  PolicyUnattestedError,
  AdminSocketError,
  NotFoundError,
  ApprovalRefusedError,
  AuditLogError,
  StopTimeoutError,
  UnexpectedError,
  DataDirError,
  IdentityKeyError,
] as const
