import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'

/** Revokes the origin's eth_accounts permission: `accountsChanged []` follows. Returns null. */
export const walletRevokePermissions = defineMethod({
  method: 'wallet_revokePermissions',
  params: z.tuple([z.object({ eth_accounts: z.object({}).loose() }).strict()]),
  permission: 'none',
  cost: 'read',
  audited: true,
  handler: async ({ ctx, services }) => {
    services.sessions.revoke(ctx.conn.origin)
    return null
  },
})
