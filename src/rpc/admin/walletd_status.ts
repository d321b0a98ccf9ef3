import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'
import type { AdminControl } from './types.js'

/** Admin: `walletd status`: the runtime info (pid, port, URLs, chains) and the health report. */
export function createWalletdStatus(control: AdminControl) {
  return defineMethod({
    method: 'walletd_status',
    params: zNoParams,
    permission: 'none',
    cost: 'read',
    handler: async ({ services }) => ({
      ...(control.status() as object),
      pending: services.approvals.pending().length,
    }),
  })
}
