import { UnknownBundleIdError } from '../../errors/rpc.js'
import { callsStatus } from '../calls/callsStatus.js'
import { defineMethod } from '../defineMethod.js'
import { zBatchIdParams } from '../schemas/calls.js'

/**
 * `wallet_showCallsStatus` (EIP-5792): `[id]` → `null` for a batch this origin sent. walletd has
 * no window to show it in: it logs the status (info) for whoever runs it; the dApp reads it with
 * `wallet_getCallsStatus`. Unknown, expired or another origin's id: 5730.
 */
export const walletShowCallsStatus = defineMethod({
  method: 'wallet_showCallsStatus',
  params: zBatchIdParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ params: [id], ctx, services }) => {
    const batch = services.batches.get(ctx.conn.origin, id)
    if (!batch) throw new UnknownBundleIdError()
    const { status, receipts } = callsStatus(batch)
    ctx.log.info(
      {
        batchId: batch.id,
        chainId: batch.chainId,
        status,
        landed: receipts.length,
        calls: batch.calls.length,
        stopped: batch.stopped,
      },
      'calls status',
    )
    return null
  },
})
