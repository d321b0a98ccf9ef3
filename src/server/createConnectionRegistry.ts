import { registrableDomainOf } from '../ratelimit/registrableDomainOf.js'
import type { Connection } from '../rpc/types.js'

export type LiveConnection = Connection & {
  /** Ends the connection with a WebSocket-style close code and reason. */
  close(code: number, reason: string): void
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>

/** Adds `delta` to the count of `key` (a missing key is 0; a count of 0 is forgotten). */
function bump(counts: Map<string, number>, key: string | null, delta: number) {
  // Stryker disable next-line ConditionalExpression: a null key is never asked for (only memory differs)
  if (key === null) return
  const n = (counts.get(key) ?? 0) + delta
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a kept 0 reads as a missing key (only memory differs)
  if (n <= 0) counts.delete(key)
  else counts.set(key, n)
}

/**
 * Live connections (WebSockets and event streams) by origin, for pushing session events; their
 * counts per origin, per host token and per registrable domain, for the connection caps
 * (`capRefusal`); and the number of connections still authenticating (not yet in the registry).
 */
export function createConnectionRegistry() {
  const byOrigin = new Map<string, Set<LiveConnection>>()
  const perToken = new Map<string, number>()
  const perDomain = new Map<string, number>()
  const domainOf = new Map<LiveConnection, string | null>()
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
    countForToken(tokenName: string): number {
      return perToken.get(tokenName) ?? 0
    },
    /** Connections whose origin has this registrable domain (eTLD+1, see `registrableDomainOf`). */
    countForDomain(domain: string): number {
      return perDomain.get(domain) ?? 0
    },
    add(conn: LiveConnection) {
      let set = byOrigin.get(conn.origin)
      if (!set) {
        set = new Set()
        byOrigin.set(conn.origin, set)
      }
      if (set.has(conn)) return
      set.add(conn)
      total++
      const domain = registrableDomainOf(conn.origin)
      domainOf.set(conn, domain)
      bump(perDomain, domain, 1)
      bump(perToken, conn.tokenName, 1)
    },
    remove(conn: LiveConnection) {
      const set = byOrigin.get(conn.origin)
      if (set?.delete(conn)) {
        total--
        if (set.size === 0) byOrigin.delete(conn.origin)
        bump(perDomain, domainOf.get(conn) ?? null, -1)
        domainOf.delete(conn)
        bump(perToken, conn.tokenName, -1)
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
