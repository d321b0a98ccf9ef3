import type { Services } from '../services.js'
import type { ResolvedContext, Step } from '../types.js'

/**
 * For methods whose request the audit log records (an approval: the decision, then the signature
 * or transaction; or `audited`: a grant, revoke or chain switch): the answer — result or error —
 * leaves only once those records are on disk. The log writes each line at once and syncs lines in
 * groups (src/audit/createAuditLog.ts), so concurrent signatures share one fdatasync.
 */
export function createAuditSyncedStep({ audit }: Pick<Services, 'audit'>): Step {
  return {
    name: 'auditSynced',
    plan: (method) => (method.approval || method.audited ? { around: auditSynced } : null),
  }
  async function auditSynced(_ctx: ResolvedContext, next: () => Promise<unknown>): Promise<unknown> {
    try {
      return await next()
    } finally {
      await audit.synced()
    }
  }
}
