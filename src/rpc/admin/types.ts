import type { JsonSafe } from '../../util/toJsonSafe.js'

/**
 * What the admin methods need from the daemon beyond `Services`: things only the composition
 * root knows (the runtime info, the server's live connections, how to stop).
 */
export type AdminControl = {
  /** Runtime info and health, JSON-safe. */
  status(): JsonSafe
  /** Stops the daemon; called after the answer to `walletd_stop` was sent. */
  stop(): void
  /** Live connections of a session key (origin or `token:<name>`). */
  connectionsFor(origin: string): number
}

/** The session key of every admin-socket connection (never an origin a page can have). */
export const ADMIN_ORIGIN = 'admin'
