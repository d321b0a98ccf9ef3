import type { MethodDefinition } from '../types.js'
import type { AdminControl } from './types.js'
import { walletdDecide } from './walletd_decide.js'
import { walletdPending } from './walletd_pending.js'
import { createWalletdPermissions } from './walletd_permissions.js'
import { walletdRevoke } from './walletd_revoke.js'
import { createWalletdSessions } from './walletd_sessions.js'
import { createWalletdStatus } from './walletd_status.js'
import { createWalletdStop } from './walletd_stop.js'
import { walletdSubscribePrompts } from './walletd_subscribePrompts.js'

/**
 * The admin socket's method table, apart from the WebSocket/HTTP one: none of these is reachable
 * from a page, and no page method (signing, forwarding) is reachable from the admin socket.
 */
export function createAdminMethodTable(control: AdminControl): ReadonlyMap<string, MethodDefinition> {
  const table = new Map<string, MethodDefinition>()
  for (const m of [
    walletdPending,
    walletdDecide,
    walletdSubscribePrompts,
    createWalletdSessions(control),
    walletdRevoke,
    createWalletdPermissions(control),
    createWalletdStatus(control),
    createWalletdStop(control),
  ]) {
    if (table.has(m.method)) throw new Error(`admin method ${m.method} is defined twice`)
    table.set(m.method, m)
  }
  return table
}
