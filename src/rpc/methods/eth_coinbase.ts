import { defineMethod } from '../defineMethod.js'
import { visibleAccounts } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/** The origin's first granted account, or null (also while locked). Never forwarded (a dev node would reveal its own). */
export const ethCoinbase = defineMethod({
  method: 'eth_coinbase',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx, services }) => visibleAccounts(services, ctx.session)[0]?.toLowerCase() ?? null,
})
