import type { Connection } from '../rpc/types.js'

export type LiveConnection = Connection & {
  /** Ends the connection with a WebSocket-style close code and reason. */
  close(code: number, reason: string): void
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>

/**
 * Live connections (WebSockets and event streams) by origin, for caps and for pushing session
 * events, and the number of connections still authenticating (not yet in the registry).
 */
export function createConnectionRegistry() {
  const byOrigin = new Map<string, Set<LiveConnection>>()
  let total = 0
  let pending = 0
  return {
    get total() {
      return total
    },
    /** Connections opened but not yet authenticated (the handshake is under way). */
    get pending() {
      return pending
    },
    addPending() {
      pending++
    },
    removePending() {
      pending--
    },
    countFor(origin: string): number {
      return byOrigin.get(origin)?.size ?? 0
    },
    add(conn: LiveConnection) {
      let set = byOrigin.get(conn.origin)
      if (!set) {
        set = new Set()
        byOrigin.set(conn.origin, set)
      }
      set.add(conn)
      total++
    },
    remove(conn: LiveConnection) {
      const set = byOrigin.get(conn.origin)
      if (set?.delete(conn)) {
        total--
        if (set.size === 0) byOrigin.delete(conn.origin)
      }
    },
    forOrigin(origin: string): readonly LiveConnection[] {
      return [...(byOrigin.get(origin) ?? [])]
    },
    all(): LiveConnection[] {
      return [...byOrigin.values()].flatMap((s) => [...s])
    },
  }
}
