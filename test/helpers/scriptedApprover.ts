import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/approval/types.js'

/**
 * Test-only approver: answers from a script ('approve' | 'reject' | 'hang'), then with the
 * fallback. Records every request it was shown. Never shipped in src/.
 */
export function createScriptedApprover(
  script: Array<'approve' | 'reject' | 'hang'> = [],
  fallback: 'approve' | 'reject' = 'approve',
) {
  const seen: ApprovalRequest[] = []
  const queue = [...script]
  const approver: Approver & {
    seen: ApprovalRequest[]
    push(...a: Array<'approve' | 'reject' | 'hang'>): void
  } = {
    name: 'scripted',
    seen,
    push: (...a) => queue.push(...a),
    decide(request, signal): Promise<ApprovalDecision> {
      seen.push(request)
      const next = queue.shift() ?? fallback
      if (next === 'hang') {
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve({ approved: false, reason: 'aborted' }), {
            once: true,
          }),
        )
      }
      return Promise.resolve(
        next === 'approve' ? { approved: true } : { approved: false, reason: 'rejected' },
      )
    },
  }
  return approver
}
