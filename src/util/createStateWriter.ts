import { InternalError } from '../errors/rpc.js'
import { describeFsError } from './describeFsError.js'
import { writeFileAtomic } from './writeFileAtomic.js'

/** Writes one state file whole (atomically) or throws a -32603 that says why; see createStateWriter. */
export type StateWriter = (file: string, data: string) => void

export type CreateStateWriterParameters = {
  /** Told once when writes to a file start failing (then again only after one succeeded). */
  onFailing?: (file: string, err: unknown) => void
  /** Told when a file that was failing is written again. */
  onRecovered?: (file: string) => void
  /** The atomic write (injected by unit tests to simulate a full disk). */
  write?: (file: string, data: string) => void
}

/**
 * The writer of the daemon's state files (sessions, added chains, watched assets). A failed write
 * (a full disk, a read-only data dir) leaves the previous file as it was (atomic rename) and
 * throws a JSON-RPC -32603 error that names the cause — never the path, which would show the
 * user's home directory to a page — so the request that needed the write fails and the caller
 * keeps its previous state. It is logged once per file until a write succeeds again.
 */
export function createStateWriter({
  onFailing,
  onRecovered,
  write = writeFileAtomic,
}: CreateStateWriterParameters = {}): StateWriter {
  const failing = new Set<string>()
  return (file, data) => {
    try {
      write(file, data)
    } catch (err) {
      if (!failing.has(file)) {
        failing.add(file)
        onFailing?.(file, err)
      }
      throw new InternalError({
        message: `walletd could not save its state: ${describeFsError(err)}. Nothing was changed; try again once the data directory can be written.`,
        data: { reason: 'state-not-saved', code: (err as NodeJS.ErrnoException | null)?.code ?? null },
        cause: err,
      })
    }
    if (failing.delete(file)) onRecovered?.(file)
  }
}
