import { defineMethod } from '../defineMethod.js'
import { isLocked, permissionsOf } from '../permissions.js'
import { zNoParams } from '../schemas/primitives.js'

/** EIP-2255: the origin's permissions; `[]` while locked (the caveat would list the granted accounts). */
export const walletGetPermissions = defineMethod({
  method: 'wallet_getPermissions',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx, services }) => (isLocked(services) ? [] : permissionsOf(ctx.session)),
})
