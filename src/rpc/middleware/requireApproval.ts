import { UserRejectedRequestError } from '../../errors/rpc.js'
import type { Services } from '../services.js'
import type { ResolvedContext, Step } from '../types.js'
import { checkAccess } from './authorize.js'

const REJECTION_TEXT: Partial<Record<string, string>> = {
  'no-approver': 'User rejected the request: no approver is configured.',
  blocked: 'User rejected the request: it was blocked by a critical finding.',
  cooldown: 'User rejected the request: this origin was rejected too often; wait before asking again.',
  timeout: 'User rejected the request: nobody answered in time.',
}

/**
 * For methods with an approval: `prepare` checks and describes the request (text, typed facts,
 * warnings), then the broker decides. Anything but an explicit approval — reject, timeout, no
 * approver, a closed connection, an error — is 4001 with the reason in `data`.
 */
export function createRequireApprovalStep(services: Services): Step {
  const { approvals, metrics } = services
  return {
    name: 'requireApproval',
    plan: (method) => (method.approval ? { around: requireApproval } : null),
  }
  async function requireApproval(ctx: ResolvedContext, next: () => Promise<unknown>): Promise<unknown> {
    const spec = ctx.method.approval!
    const args = { params: ctx.params, ctx, services }
    if (spec.when && !spec.when(args)) return next()
    const draft = await spec.prepare(args)
    const { request, decided } = await approvals.request(
      {
        origin: ctx.conn.origin,
        method: ctx.method.method,
        kind: spec.kind,
        answer: spec.answer ?? 'yes',
        chainId: ctx.session.chainId,
        draft,
      },
      ctx.signal,
    )
    ctx.approval = { request, decided, prepared: draft.prepared }
    metrics.approvals.inc({
      method: ctx.method.method,
      decision: decided.approved ? 'approved' : decided.reason,
    })
    ctx.log.info(
      {
        approvalId: request.id,
        approved: decided.approved,
        by: decided.by,
        ...(decided.rule ? { rule: decided.rule } : {}),
        ...(decided.approved ? {} : { reason: decided.reason }),
      },
      'approval decided',
    )
    if (!decided.approved) {
      throw new UserRejectedRequestError({
        message: REJECTION_TEXT[decided.reason] ?? `User rejected the request (${decided.reason}).`,
        data: { reason: decided.reason, approvalId: request.id },
      })
    }
    // Approved: the origin must still have the access it had when it asked (a grant revoked or the
    // wallet locked while the prompt was open refuses the request; nothing is signed or sent).
    checkAccess(services, ctx)
    return next()
  }
}
