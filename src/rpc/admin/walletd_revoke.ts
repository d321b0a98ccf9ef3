import { ResourceNotFoundError } from '../../errors/rpc.js'
import { defineMethod } from '../defineMethod.js'
import { zOriginParams } from './parseOriginParam.js'

/**
 * Admin: `walletd revoke ORIGIN`. Drops the session's grant: its connections get
 * `walletd_accountsChanged []` and lose their subscriptions and filters (the session store's
 * change, pushed by the composition root). -32001 when the origin has no grant.
 */
export const walletdRevoke = defineMethod({
  method: 'walletd_revoke',
  params: zOriginParams,
  permission: 'none',
  cost: 'read',
  audited: true,
  handler: async ({ params: [origin], services }) => {
    if (!services.sessions.revoke(origin))
      throw new ResourceNotFoundError({ message: `${origin} has no grant to revoke.` })
    return { origin, revoked: true }
  },
})
