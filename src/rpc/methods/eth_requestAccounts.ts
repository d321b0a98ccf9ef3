import { defineMethod } from '../defineMethod.js'
import { connectDraft } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/**
 * Asks the user to connect the origin and choose its accounts; returns the granted accounts
 * (lowercase). No prompt once granted. 4001 on reject.
 */
export const ethRequestAccounts = defineMethod({
  method: 'eth_requestAccounts',
  params: zNoParams,
  permission: 'unlocked',
  cost: 'prompt',
  audited: true,
  approval: {
    kind: 'connect',
    when: ({ ctx }) => ctx.session.grantedAt === null,
    prepare: async ({ ctx, services }) => connectDraft(ctx, services),
  },
  handler: async ({ ctx, services, approved }) => {
    if (approved)
      services.sessions.grantAccounts(ctx.conn.origin, [...(approved.accounts ?? approved.prepared)])
    return services.sessions.view(ctx.conn.origin).accounts.map((a) => a.toLowerCase())
  },
})
