import { z } from 'zod'
import { decidedToJson } from '../../approval/approvalRequestJson.js'
import type { ApprovalDecision } from '../../approval/types.js'
import { InvalidParamsError, MethodNotSupportedError, ResourceNotFoundError } from '../../errors/rpc.js'
import { defineMethod } from '../defineMethod.js'
import { zAddress } from '../schemas/primitives.js'

/** Who decided, as the audit log records it: `cli` (`walletd approve` / `reject`) or `prompts` (`walletd prompts`). */
const zVia = z.enum(['cli', 'prompts'])

/**
 * Admin: approve or reject a pending request by id (`walletd approve ID [--accounts …]`,
 * `walletd reject ID [--reason TEXT]`, `walletd prompts`). Validated by the broker like any
 * approver's answer: accounts must be among those offered. Refused unless the daemon accepts
 * decisions from outside (approver `cli`).
 */
export const walletdDecide = defineMethod({
  method: 'walletd_decide',
  params: z.tuple([
    z
      .object({
        id: z.string().min(1).max(128),
        approved: z.boolean(),
        accounts: z.array(zAddress).min(1).max(64).optional(),
        reason: z.string().max(200).optional(),
        via: zVia.optional(),
      })
      .strict(),
  ]),
  permission: 'none',
  cost: 'read',
  audited: true,
  handler: async ({ params: [p], services }) => {
    const { approvals } = services
    if (!approvals.approverNames.includes('cli')) {
      throw new MethodNotSupportedError({
        message:
          'This walletd does not take decisions from the CLI: it was started without the cli approver (--approver).',
      })
    }
    const request = approvals.get(p.id)
    if (!request) {
      throw new ResourceNotFoundError({
        message: `No pending approval request ${p.id}: it was decided, expired, or never made.`,
      })
    }
    if (p.approved && p.accounts && !request.choices) {
      throw new InvalidParamsError({
        message: 'Invalid parameters: accounts can be chosen for a connect request only.',
      })
    }
    if (!p.approved && p.accounts) {
      throw new InvalidParamsError({ message: 'Invalid parameters: a rejection chooses no accounts.' })
    }
    const decision: ApprovalDecision = p.approved
      ? { approved: true, ...(p.accounts ? { accounts: p.accounts } : {}) }
      : { approved: false, reason: 'rejected', ...(p.reason ? { note: p.reason } : {}) }
    const result = approvals.decide(p.id, decision, p.via ?? 'cli')
    if (!result.ok && result.error === 'unknown-request') {
      throw new ResourceNotFoundError({
        message: `No pending approval request ${p.id}: it was decided, expired, or never made.`,
      })
    }
    if (!result.ok) {
      throw new InvalidParamsError({
        message: `Invalid parameters: the accounts must be among those offered (${request.choices?.accounts.join(', ') ?? 'none'}).`,
      })
    }
    return { id: p.id, decided: decidedToJson(result.decided) }
  },
})
