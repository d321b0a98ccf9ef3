import type { JsonSafe } from '../util/toJsonSafe.js'

/**
 * One audit record: its `type` (`grant`, `revoke`, `chainSwitch`, `approval`, `signature`,
 * `transaction`, `started`, `recovered`, `restarted`) and its fields, JSON-safe. Never a secret, a
 * key, a passphrase or a token: only what happened, to whom, decided by whom.
 */
export type AuditEvent = { readonly type: string } & { readonly [field: string]: JsonSafe }

/**
 * Where audit records go (the log file, or nothing). `record` never throws: it writes the line at
 * once. `synced` resolves (never rejects) once every record made before the call is on disk; an
 * answer that carries a signature or a decision waits for it.
 */
export interface AuditSink {
  record(event: AuditEvent): void
  synced(): Promise<void>
}

/** The hash that stands before the first line of a chain. */
export const GENESIS_HASH = '0'.repeat(64)
