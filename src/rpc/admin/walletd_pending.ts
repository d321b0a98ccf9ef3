import { approvalRequestToJson } from '../../approval/approvalRequestJson.js'
import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/** Admin: the approval requests waiting for a decision, oldest first (bigints as decimal strings). */
export const walletdPending = defineMethod({
  method: 'walletd_pending',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ services }) => services.approvals.pending().map(approvalRequestToJson),
})
