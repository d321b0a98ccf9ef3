import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { connectableAccounts, permissionsOf } from '../permissions.js'

/** EIP-2255: `[{ eth_accounts: {} }]` → approval → the granted permissions. Only eth_accounts exists. */
export const walletRequestPermissions = defineMethod({
  method: 'wallet_requestPermissions',
  params: z.tuple([z.object({ eth_accounts: z.object({}).loose() }).strict()]),
  permission: 'unlocked',
  cost: 'prompt',
  approval: 'always',
  prepare: async ({ ctx, services }) => {
    const accounts = connectableAccounts(services)
    return {
      summary: `Grant ${ctx.conn.origin} access to ${accounts.join(', ')}`,
      details: { origin: ctx.conn.origin, permission: 'eth_accounts', accounts },
      warnings: [],
      prepared: accounts,
    }
  },
  handler: async ({ ctx, services, prepared }) => {
    services.sessions.grantAccounts(ctx.conn.origin, prepared as never)
    return permissionsOf(services.sessions.peek(ctx.conn.origin))
  },
})
