import { compose } from './compose.js'
import { createAuditResultStep } from './middleware/auditResult.js'
import { createAuditSyncedStep } from './middleware/auditSynced.js'
import { createAuthorizeStep } from './middleware/authorize.js'
import { createDispatchStep } from './middleware/dispatch.js'
import { createRateLimitStep } from './middleware/rateLimit.js'
import { createRequireApprovalStep } from './middleware/requireApproval.js'
import { createMethodResolver } from './middleware/resolveMethod.js'
import { createValidateParamsStep } from './middleware/validateParams.js'
import type { Services } from './services.js'
import type { MethodDefinition, RequestContext } from './types.js'

/**
 * THE order of the steps of one request, reviewed here and nowhere else: the method is looked up
 * first (fail closed: unknown → 4200, refused → -32601), then every step sees it typed. Each step
 * plans, once per method, what it does for it (`Step.plan`): a read that needs no approval runs
 * validateParams, the rate limit and dispatch as plain synchronous calls (authorize has nothing to
 * check for permission `none`; requireApproval and auditResult nothing without an approval).
 * auditSynced stands outside the approval: a decision, a signature or a session change is on disk
 * (its audit record fdatasync'd) before the answer — approved or rejected — leaves.
 */
export function createRpcPipeline(services: Services, methods: ReadonlyMap<string, MethodDefinition>) {
  const resolve = createMethodResolver(methods)
  const steps = compose([
    createValidateParamsStep(),
    createAuthorizeStep(services),
    createRateLimitStep(services),
    createAuditSyncedStep(services),
    createRequireApprovalStep(services),
    createAuditResultStep(services),
    createDispatchStep(services),
  ])
  return function pipeline(ctx: RequestContext): Promise<unknown> {
    try {
      return steps(resolve(ctx))
    } catch (err) {
      return Promise.reject(err)
    }
  }
}
