import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** `$XDG_CONFIG_HOME/walletd/config.json` (default `~/.config/walletd/config.json`). */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return join(base, 'walletd', 'config.json')
}

/** The state directory: config `dataDir`, else `$XDG_DATA_HOME/walletd` (default `~/.local/share/walletd`). */
export function resolveDataDir(dataDir: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (dataDir) return resolve(dataDir)
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'walletd')
}

/**
 * The runtime directory (runtime file, lock, admin socket): config `runtimeDir`, else
 * `$XDG_RUNTIME_DIR/walletd-<hash of the data dir>`, else `<dataDir>/run`. One per data dir, so
 * two daemons with two data dirs never share a lock.
 */
export function resolveRuntimeDir(
  runtimeDir: string | null,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (runtimeDir) return resolve(runtimeDir)
  if (env.XDG_RUNTIME_DIR) {
    const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 12)
    return join(env.XDG_RUNTIME_DIR, `walletd-${tag}`)
  }
  return join(dataDir, 'run')
}

export type WalletdPaths = {
  dataDir: string
  runtimeDir: string
  runtimeFile: string
  lockFile: string
  tokensFile: string
  sessionsFile: string
  /** sha256 hashes of attested policy files (`walletd policy attest`). */
  policyAttestationsFile: string
  /** Chains added at runtime with wallet_addEthereumChain. */
  addedChainsFile: string
  /** Tokens watched with wallet_watchAsset. */
  watchedAssetsFile: string
  keystoreDir: string
  auditLog: string
  /** The audit log's last sequence number and hash (detects removed trailing lines). */
  auditHead: string
  identityKey: string
  adminSocket: string
}

/**
 * The admin socket: `<runtimeDir>/admin.sock`; on Windows, where a Unix socket in the runtime dir
 * is not the platform's way, the named pipe `\\.\pipe\walletd-<hash of the runtime dir>` (the pipe
 * gets the default DACL: the creating user, SYSTEM and administrators).
 */
export function adminSocketPath(runtimeDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const tag = createHash('sha256').update(runtimeDir).digest('hex').slice(0, 16)
    return `\\\\.\\pipe\\walletd-${tag}`
  }
  return join(runtimeDir, 'admin.sock')
}

export function resolvePaths(
  config: { dataDir: string | null; runtimeDir: string | null },
  env: NodeJS.ProcessEnv = process.env,
): WalletdPaths {
  const dataDir = resolveDataDir(config.dataDir, env)
  const runtimeDir = resolveRuntimeDir(config.runtimeDir, dataDir, env)
  return {
    dataDir,
    runtimeDir,
    runtimeFile: join(runtimeDir, 'walletd.json'),
    lockFile: join(runtimeDir, 'walletd.lock'),
    tokensFile: join(dataDir, 'tokens.json'),
    sessionsFile: join(dataDir, 'sessions.json'),
    policyAttestationsFile: join(dataDir, 'policy-attestations.json'),
    addedChainsFile: join(dataDir, 'chains.json'),
    watchedAssetsFile: join(dataDir, 'assets.json'),
    keystoreDir: join(dataDir, 'keystore'),
    auditLog: join(dataDir, 'audit.jsonl'),
    identityKey: join(dataDir, 'identity.key'),
    auditHead: join(dataDir, 'audit.head'),
    adminSocket: adminSocketPath(runtimeDir),
  }
}
