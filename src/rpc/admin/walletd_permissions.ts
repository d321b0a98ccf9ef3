import { defineMethod } from '../defineMethod.js'
import { permissionsOf } from '../permissions.js'
import { zOriginParams } from './parseOriginParam.js'
import type { AdminControl } from './types.js'

/**
 * Admin: `walletd permissions ORIGIN`: what `wallet_getPermissions` answers that origin (EIP-2255),
 * with its active chain and live connections. An origin never seen has `permissions: []`.
 */
export function createWalletdPermissions(control: AdminControl) {
  return defineMethod({
    method: 'walletd_permissions',
    params: zOriginParams,
    permission: 'none',
    cost: 'read',
    handler: async ({ params: [origin], services }) => {
      const session = services.sessions.peek(origin)
      return {
        origin,
        chainId: services.sessions.view(origin).chainId,
        permissions: permissionsOf(session),
        connections: control.connectionsFor(origin),
      }
    },
  })
}
