import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/** The origin's active chain, answered locally (hex, no leading zeros). */
export const ethChainId = defineMethod({
  method: 'eth_chainId',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx }) => `0x${ctx.session.chainId.toString(16)}`,
})
