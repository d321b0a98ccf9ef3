import { defineMethod } from '../defineMethod.js'
import { connectableAccounts } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/** Asks the user to connect the origin; returns the granted accounts (lowercase). 4001 on reject. */
export const ethRequestAccounts = defineMethod({
  method: 'eth_requestAccounts',
  params: zNoParams,
  permission: 'unlocked',
  cost: 'prompt',
  approval: ({ ctx, services }) => (services.sessions.peek(ctx.conn.origin)?.grantedAt ?? null) === null,
  prepare: async ({ ctx, services }) => {
    const accounts = connectableAccounts(services)
    return {
      summary: `Connect ${ctx.conn.origin} to ${accounts.length === 1 ? 'account' : 'accounts'} ${accounts.join(', ')}`,
      details: { origin: ctx.conn.origin, accounts },
      warnings: [],
      prepared: accounts,
    }
  },
  handler: async ({ ctx, services, prepared }) => {
    if (prepared) services.sessions.grantAccounts(ctx.conn.origin, prepared as never)
    return services.sessions.get(ctx.conn.origin).accounts.map((a) => a.toLowerCase())
  },
})
