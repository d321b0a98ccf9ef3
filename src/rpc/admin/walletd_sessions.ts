import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'
import type { AdminControl } from './types.js'

/** Admin: `walletd sessions`: every session with a grant, its accounts, chain, times and live connections. */
export function createWalletdSessions(control: AdminControl) {
  return defineMethod({
    method: 'walletd_sessions',
    params: zNoParams,
    permission: 'none',
    cost: 'read',
    handler: async ({ services }) =>
      services.sessions.list().map((s) => ({
        origin: s.origin,
        accounts: [...s.accounts],
        chainId: s.chainId,
        grantedAt: s.grantedAt === null ? null : new Date(s.grantedAt).toISOString(),
        lastUsedAt: new Date(s.lastUsedAt).toISOString(),
        connections: control.connectionsFor(s.origin),
      })),
  })
}
