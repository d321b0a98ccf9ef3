import { type Policy, PolicySchema } from '../../src/approval/policy/policySchema.js'
import type { ApprovalFacts, ApprovalRequest } from '../../src/approval/types.js'

/** A policy file's content, parsed as walletd parses it. */
export const policyOf = (rules: unknown[], extra: object = {}): Policy =>
  PolicySchema.parse({ version: 1, rules, ...extra })

/** An approval request carrying `facts` (frozen, as the broker hands it to approvers). */
export function approvalRequestOf(
  facts: ApprovalFacts,
  over: Partial<ApprovalRequest> = {},
): ApprovalRequest {
  return Object.freeze({
    id: 'r',
    origin: 'token:ci',
    method: 'x',
    kind: facts.kind,
    chainId: facts.chainId,
    summary: '',
    details: {},
    facts,
    warnings: [],
    answer: 'yes',
    choices:
      facts.kind === 'connect' ? { accounts: facts.accounts, defaults: [facts.accounts[0]!] } : undefined,
    createdAt: 0,
    expiresAt: 0,
    ...over,
  })
}
