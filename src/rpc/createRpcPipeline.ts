import { compose } from './compose.js'
import { createAuditResultMiddleware } from './middleware/auditResult.js'
import { createAuthorizeMiddleware } from './middleware/authorize.js'
import { createDispatchMiddleware } from './middleware/dispatch.js'
import { createRateLimitMiddleware } from './middleware/rateLimit.js'
import { createRequireApprovalMiddleware } from './middleware/requireApproval.js'
import { createMethodResolver } from './middleware/resolveMethod.js'
import { createValidateParamsMiddleware } from './middleware/validateParams.js'
import type { Services } from './services.js'
import type { MethodDefinition, RequestContext } from './types.js'

/**
 * THE order of the steps of one request, reviewed here and nowhere else: the method is looked up
 * first (fail closed: unknown → 4200, refused → -32601), then every step sees it typed.
 */
export function createRpcPipeline(services: Services, methods: ReadonlyMap<string, MethodDefinition>) {
  const resolve = createMethodResolver(methods)
  const steps = compose([
    createValidateParamsMiddleware(),
    createAuthorizeMiddleware(services),
    createRateLimitMiddleware(services),
    createRequireApprovalMiddleware(services),
    createAuditResultMiddleware(services),
    createDispatchMiddleware(services),
  ])
  return function pipeline(ctx: RequestContext): Promise<unknown> {
    try {
      return steps(resolve(ctx))
    } catch (err) {
      return Promise.reject(err)
    }
  }
}
