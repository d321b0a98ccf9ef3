import { registrableDomainOf } from '../ratelimit/registrableDomainOf.js'
import type { ConnectionRegistry } from './createConnectionRegistry.js'

/** `connections.*` caps on open WebSockets. */
export type ConnectionLimits = {
  maxTotal: number
  maxPerToken: number
  maxPerDomain: number
  maxPerOrigin: number
}

export type CapRefusal = {
  /** The `walletd_connections_total` outcome. */
  outcome: 'cap_total' | 'cap_token' | 'cap_domain' | 'cap_origin'
  message: string
}

/**
 * Whether one more WebSocket for this caller would exceed a cap: all sockets, the caller's host
 * token (so one token rotating `Origin: https://sN.example` cannot take every slot), the origin's
 * registrable domain (eTLD+1: `sN.example.com` share `example.com`; `*.localhost` share
 * `localhost`), or the origin (session key). null when it fits.
 */
export function capRefusal(
  connections: ConnectionRegistry,
  limits: ConnectionLimits,
  caller: { origin: string; tokenName: string | null },
): CapRefusal | null {
  if (connections.total >= limits.maxTotal) return { outcome: 'cap_total', message: 'too many connections' }
  if (caller.tokenName !== null && connections.countForToken(caller.tokenName) >= limits.maxPerToken) {
    return { outcome: 'cap_token', message: 'too many connections for this host token' }
  }
  const domain = registrableDomainOf(caller.origin)
  if (domain !== null && connections.countForDomain(domain) >= limits.maxPerDomain) {
    return { outcome: 'cap_domain', message: 'too many connections from this site' }
  }
  if (connections.countFor(caller.origin) >= limits.maxPerOrigin) {
    return { outcome: 'cap_origin', message: 'too many connections from this origin' }
  }
  return null
}
