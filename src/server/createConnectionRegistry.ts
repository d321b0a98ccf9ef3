import type { Connection } from '../rpc/types.js'

export type LiveConnection = Connection & {
  /** Closes the socket (ws) with a code and reason. */
  close(code: number, reason: string): void
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>

/** Live WebSocket connections by origin, for caps and for pushing session events. */
export function createConnectionRegistry() {
  const byOrigin = new Map<string, Set<LiveConnection>>()
  let total = 0
  return {
    get total() {
      return total
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
