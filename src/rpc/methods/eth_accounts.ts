import { defineMethod } from '../defineMethod.js'
import { visibleAccounts } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/** The accounts granted to the origin, lowercase (as MetaMask); `[]` before a grant and while locked. Never forwarded. */
export const ethAccounts = defineMethod({
  method: 'eth_accounts',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx, services }) => visibleAccounts(services, ctx.session).map((a) => a.toLowerCase()),
})
