import type { AuditEvent } from '../audit/types.js'
import { toJsonSafe } from '../util/toJsonSafe.js'
import type { ApprovalRequest, Decided } from './types.js'

/**
 * The audit record of a decision: the request (origin, method, kind, chain, summary, warnings,
 * typed facts) and who decided how — the approver (`terminal`, `cli`, `prompts`, `notification`,
 * `policy`, or `walletd` when nobody was asked), the policy rule, the reason, a rejection's note.
 */
export function approvalAuditEvent(request: ApprovalRequest, decided: Decided): AuditEvent {
  return {
    type: 'approval',
    id: request.id,
    origin: request.origin,
    method: request.method,
    kind: request.kind,
    chainId: request.chainId,
    summary: request.summary,
    approved: decided.approved,
    by: decided.by,
    asked: decided.asked,
    ...(decided.rule ? { rule: decided.rule } : {}),
    ...(decided.approved
      ? decided.accounts
        ? { accounts: [...decided.accounts] }
        : {}
      : { reason: decided.reason, ...(decided.note ? { note: decided.note } : {}) }),
    warnings: toJsonSafe(request.warnings),
    facts: toJsonSafe(request.facts),
  }
}
