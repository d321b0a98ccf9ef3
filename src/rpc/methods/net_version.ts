import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/** The origin's active chain id in decimal, answered locally. */
export const netVersion = defineMethod({
  method: 'net_version',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx }) => String(ctx.session.chainId),
})
