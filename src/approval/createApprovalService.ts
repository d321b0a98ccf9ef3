import { randomUUID } from 'node:crypto'
import { RpcError } from '../errors/rpc.js'
import type { ApprovalDraft } from '../rpc/types.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from './types.js'

export type ApprovalServiceOptions = {
  /** null: no approver configured — every approval is refused (fail closed). */
  approver: Approver | null
  timeoutMs: number
  now?: () => number
  onDecision?: (request: ApprovalRequest, decision: ApprovalDecision) => void
}

export type ApprovalService = ReturnType<typeof createApprovalService>

/**
 * Turns a method's draft into an immutable approval request and gets a decision. Fails closed:
 * no approver, a timeout, an aborted request or an approver error all reject; critical warnings
 * reject without asking. An approver may refuse to ask by throwing a typed RpcError (e.g. -32002:
 * a prompt of this kind is already pending for the origin); that error is passed on to the
 * client as it is — it rejects the request, it never approves it.
 */
export function createApprovalService({
  approver,
  timeoutMs,
  now = Date.now,
  onDecision,
}: ApprovalServiceOptions) {
  return {
    get approverName(): string | null {
      return approver?.name ?? null
    },
    async request(
      input: { origin: string; method: string; chainId: number; draft: ApprovalDraft },
      signal: AbortSignal,
    ): Promise<{ request: ApprovalRequest; decision: ApprovalDecision }> {
      const created = now()
      const request: ApprovalRequest = Object.freeze({
        id: randomUUID(),
        origin: input.origin,
        method: input.method,
        chainId: input.chainId,
        summary: input.draft.summary,
        details: Object.freeze({ ...input.draft.details }),
        warnings: Object.freeze(input.draft.warnings.map((w) => Object.freeze({ ...w }))),
        createdAt: created,
        expiresAt: created + timeoutMs,
      })
      const decision = await decide(request, signal)
      onDecision?.(request, decision)
      return { request, decision }
    },
  }

  async function decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
    if (request.warnings.some((w) => w.level === 'critical')) return { approved: false, reason: 'blocked' }
    if (!approver) return { approved: false, reason: 'no-approver' }
    if (signal.aborted) return { approved: false, reason: 'cancelled' }
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs)
    const onAbort = () => controller.abort(new Error('cancelled'))
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const outcome = await Promise.race([
        approver.decide(request, controller.signal),
        new Promise<ApprovalDecision>((resolve) =>
          controller.signal.addEventListener(
            'abort',
            () => resolve({ approved: false, reason: (controller.signal.reason as Error).message }),
            { once: true },
          ),
        ),
      ])
      // Only an explicit, well-formed approval approves.
      if (controller.signal.aborted)
        return { approved: false, reason: (controller.signal.reason as Error).message }
      return outcome && outcome.approved === true
        ? { approved: true }
        : { approved: false, reason: outcome?.approved === false ? outcome.reason : 'invalid-decision' }
    } catch (err) {
      if (err instanceof RpcError) throw err
      return { approved: false, reason: 'error' }
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      controller.abort(new Error('done'))
    }
  }
}
