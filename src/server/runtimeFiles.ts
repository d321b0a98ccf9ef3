import { closeSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { AlreadyRunningError } from '../errors/startup.js'
import { isProcessAlive } from '../util/isProcessAlive.js'
import { ensurePrivateDir, writeFileAtomic } from '../util/writeFileAtomic.js'

export { isProcessAlive }

/** What `walletd status` and hosts read to find the daemon. Written atomically, 0600. */
export type RuntimeInfo = {
  pid: number
  host: string
  port: number
  version: string
  startedAt: string
  dataDir: string
  dev: boolean
  urls: {
    ws: string
    http: string
    health: string
    metrics: string
    /** The provider bundle by URL. */
    provider: string
    /** The demo dApp (dev mode only). */
    demo?: string
  }
  chains: { chainId: number; name: string }[]
  /** The daemon's identity public key: what hosts inject into the provider to verify the hello. */
  identity: { alg: 'ES256'; publicKey: string }
}

/**
 * One daemon per data dir: an O_EXCL lock file holding the pid. A lock left by a dead process is
 * taken over; a live one is a clear error.
 */
export function acquireLock(lockFile: string, runtimeDir: string): () => void {
  ensurePrivateDir(runtimeDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile)
        } catch {}
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let pid = Number.NaN
      try {
        if (lstatSync(lockFile).isSymbolicLink())
          throw new AlreadyRunningError(`The lock file ${lockFile} is a symlink; remove it.`)
        // Number() ignores surrounding whitespace (a trailing newline).
        pid = Number(readFileSync(lockFile, 'utf8'))
      } catch (e) {
        if (e instanceof AlreadyRunningError) throw e
      }
      if (isProcessAlive(pid) && pid !== process.pid) {
        throw new AlreadyRunningError(
          `walletd is already running for this data dir (pid ${pid}). Stop it with \`walletd stop\`, or use another --data-dir.`,
        )
      }
      try {
        unlinkSync(lockFile)
      } catch {}
    }
  }
  throw new AlreadyRunningError(`Could not take the lock ${lockFile}.`)
}

export function writeRuntimeFile(file: string, info: RuntimeInfo): void {
  writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`)
}

export function readRuntimeFile(file: string): RuntimeInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo
  } catch {
    return null
  }
}

export function removeRuntimeFile(file: string): void {
  try {
    unlinkSync(file)
  } catch {}
}
