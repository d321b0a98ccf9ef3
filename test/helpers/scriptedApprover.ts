import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/approval/types.js'

/**
 * Test-only approver: answers from a script ('approve' | 'reject' | 'hang'), then with the
 * fallback; approving a connect request chooses every account offered. Records every request it
 * was shown. Never shipped in src/.
 */
export function createScriptedApprover(
  script: Array<'approve' | 'reject' | 'hang'> = [],
  fallback: 'approve' | 'reject' = 'approve',
  /** `person`: queued like a prompt (one pending per origin and kind); `instant` (default): decides at once like a policy. */
  mode: 'instant' | 'person' = 'instant',
) {
  const seen: ApprovalRequest[] = []
  const queue = [...script]
  const approver: Approver & {
    seen: ApprovalRequest[]
    push(...a: Array<'approve' | 'reject' | 'hang'>): void
  } = {
    name: 'scripted',
    instant: mode === 'instant',
    seen,
    push: (...a) => queue.push(...a),
    decide(request, signal): Promise<ApprovalDecision> {
      seen.push(request)
      const next = queue.shift() ?? fallback
      if (next === 'hang') {
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve({ approved: false, reason: 'cancelled' }), {
            once: true,
          }),
        )
      }
      if (next !== 'approve') return Promise.resolve({ approved: false, reason: 'rejected' })
      // A connect request: this scripted person picks every account offered.
      return Promise.resolve(
        request.choices ? { approved: true, accounts: request.choices.accounts } : { approved: true },
      )
    },
  }
  return approver
}
