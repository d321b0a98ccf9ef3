import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/** The origin's first granted account, or null. Never forwarded (a dev node would reveal its own). */
export const ethCoinbase = defineMethod({
  method: 'eth_coinbase',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx }) => ctx.session.accounts[0]?.toLowerCase() ?? null,
})
