import { UserRejectedRequestError } from '../../errors/rpc.js'
import type { Services } from '../../services.js'
import type { Middleware } from '../types.js'

/**
 * For methods that need approval: `prepare` checks and describes the request, then the approval
 * service decides. Anything but an explicit approval — reject, timeout, no approver, a closed
 * connection, an error — is 4001 with the reason in `data`.
 */
export function createRequireApprovalMiddleware(services: Services): Middleware {
  return async function requireApproval(ctx, next) {
    const method = ctx.method!
    if (method.approval === 'never') return next()
    if (typeof method.approval === 'function' && !method.approval({ params: ctx.params, ctx, services }))
      return next()
    const draft = method.prepare
      ? await method.prepare({ params: ctx.params, ctx, services })
      : { summary: `${method.method} from ${ctx.conn.origin}`, details: {}, warnings: [] }
    const chainId = services.sessions.get(ctx.conn.origin).chainId
    const { request, decision } = await services.approvals.request(
      { origin: ctx.conn.origin, method: method.method, chainId, draft },
      ctx.signal,
    )
    services.metrics.approvals.inc({
      method: method.method,
      decision: decision.approved ? 'approved' : decisionLabel(decision.reason),
    })
    ctx.log.info(
      {
        approvalId: request.id,
        approved: decision.approved,
        reason: decision.approved ? undefined : decision.reason,
      },
      'approval decided',
    )
    if (!decision.approved) {
      throw new UserRejectedRequestError({
        message:
          decision.reason === 'no-approver'
            ? 'User rejected the request: no approver is configured.'
            : `User rejected the request (${decision.reason}).`,
        data: { reason: decision.reason, approvalId: request.id },
      })
    }
    ctx.prepared = draft.prepared
    return next()
  }
}

/** Metric label values are bounded: known reasons as they are, anything else `other`. */
const KNOWN_REASONS = new Set([
  'rejected',
  'blocked',
  'no-approver',
  'timeout',
  'cancelled',
  'error',
  'invalid-decision',
  'cooldown',
  'interrupted',
  'eof',
  'shutdown',
  'too-large',
])
function decisionLabel(reason: string): string {
  return KNOWN_REASONS.has(reason) ? reason : 'other'
}
