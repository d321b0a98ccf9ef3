import type { CallBatch, CallReceipt } from './createCallBatchStore.js'

/** EIP-5792 status codes. */
export const CALLS_STATUS = {
  /** Still being sent, or a sent call has no receipt yet. */
  pending: 100,
  /** Every call landed and succeeded. */
  confirmed: 200,
  /** Nothing reached the chain (the first call could not be sent). */
  offchainFailure: 400,
  /** Calls reached the chain but none succeeded: nothing changed but the fees. */
  completeRevert: 500,
  /** Some calls succeeded, then one reverted or the rest could not be sent. */
  partialRevert: 600,
} as const

export type CallsStatusResult = {
  version: '2.0.0'
  id: string
  chainId: `0x${string}`
  status: number
  atomic: false
  receipts: CallReceipt[]
}

/**
 * A batch's status as `wallet_getCallsStatus` answers it: walletd sends calls one by one, so
 * `atomic` is false and `receipts` lists the receipts of the calls that landed, in order.
 */
export function callsStatus(batch: CallBatch): CallsStatusResult {
  const receipts = batch.progress.flatMap((p) => (p.receipt ? [p.receipt] : []))
  const sent = batch.progress.filter((p) => p.hash !== null)
  let status: number
  if (batch.state === 'sending' || sent.some((p) => p.receipt === null)) status = CALLS_STATUS.pending
  else if (receipts.length === batch.calls.length && receipts.every((r) => r.status === '0x1'))
    status = CALLS_STATUS.confirmed
  else if (sent.length === 0) status = CALLS_STATUS.offchainFailure
  else if (receipts.every((r) => r.status === '0x0')) status = CALLS_STATUS.completeRevert
  else status = CALLS_STATUS.partialRevert
  return {
    version: '2.0.0',
    id: batch.id,
    chainId: `0x${batch.chainId.toString(16)}`,
    status,
    atomic: false,
    receipts,
  }
}
