import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/** The accounts granted to the origin, lowercase (as MetaMask); `[]` before a grant. Never forwarded. */
export const ethAccounts = defineMethod({
  method: 'eth_accounts',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx }) => ctx.session.accounts.map((a) => a.toLowerCase()),
})
