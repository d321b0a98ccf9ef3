import { defineMethod } from '../defineMethod.js'
import { permissionsOf } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/** EIP-2255: the origin's permissions. */
export const walletGetPermissions = defineMethod({
  method: 'wallet_getPermissions',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx }) => permissionsOf(ctx.session),
})
