import { UnknownBundleIdError } from '../../errors/rpc.js'
import { callsStatus } from '../calls/callsStatus.js'
import { refreshReceipts } from '../calls/sendBatch.js'
import { defineMethod } from '../defineMethod.js'
import { zBatchIdParams } from '../schemas/calls.js'

/**
 * `wallet_getCallsStatus` (EIP-5792): `[id]` → `{ version, id, chainId, status, atomic: false,
 * receipts }` for a batch this origin sent (kept 24 h). Status 100 while walletd is sending or a
 * sent call has no receipt yet, 200 when every call succeeded, 400 when nothing reached the chain,
 * 500 when everything that landed reverted, 600 when some succeeded and then one reverted or the
 * rest could not be sent. Another origin's id, an expired or unknown one: 5730 (the same answer).
 */
export const walletGetCallsStatus = defineMethod({
  method: 'wallet_getCallsStatus',
  params: zBatchIdParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ params: [id], ctx, services }) => {
    const batch = services.batches.get(ctx.conn.origin, id)
    if (!batch) throw new UnknownBundleIdError()
    // A receipt that came after walletd stopped waiting is looked up again.
    const upstream = services.upstreams.get(batch.chainId)
    if (batch.state === 'done' && upstream) await refreshReceipts(batch, upstream, ctx.signal)
    return callsStatus(batch)
  },
})
