import type { ApprovalWarning } from '../rpc/types.js'

/** Immutable once created: what the approver is shown. */
export type ApprovalRequest = Readonly<{
  id: string
  origin: string
  method: string
  chainId: number
  summary: string
  details: Readonly<Record<string, unknown>>
  warnings: readonly ApprovalWarning[]
  createdAt: number
  expiresAt: number
}>

export type ApprovalDecision = { approved: true } | { approved: false; reason: string }

/**
 * Decides an approval request: a person in the terminal, an OS notification, the CLI, or an
 * attested policy. Must settle when `signal` aborts (timeout or the connection closed). May throw
 * a typed RpcError to refuse without asking (createApprovalQueue: -32002 when a prompt of the same
 * kind is already pending for the origin); the client gets that error. Anything else thrown rejects.
 */
export interface Approver {
  readonly name: string
  decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision>
}
