import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import { connectDraft, permissionsOf } from '../permissions.js'

/**
 * EIP-2255: `[{ eth_accounts: {} }]` → approval (the person chooses the accounts) → the granted
 * permissions. Only eth_accounts exists.
 */
export const walletRequestPermissions = defineMethod({
  method: 'wallet_requestPermissions',
  params: z.tuple([z.object({ eth_accounts: z.object({}).loose() }).strict()]),
  permission: 'unlocked',
  cost: 'prompt',
  audited: true,
  approval: {
    kind: 'connect',
    prepare: async ({ ctx, services }) => connectDraft(ctx, services),
  },
  handler: async ({ ctx, services, approved }) => {
    // Stryker disable next-line ConditionalExpression: this method always asks, so the handler only runs approved
    if (approved)
      services.sessions.grantAccounts(ctx.conn.origin, [...(approved.accounts ?? approved.prepared)])
    return permissionsOf(services.sessions.peek(ctx.conn.origin))
  },
})
