import type { Services } from '../services.js'
import { compose } from './compose.js'
import { createAuthorizeMiddleware } from './middleware/authorize.js'
import { createDispatchMiddleware } from './middleware/dispatch.js'
import { createRateLimitMiddleware } from './middleware/rateLimit.js'
import { createRequireApprovalMiddleware } from './middleware/requireApproval.js'
import { createResolveMethodMiddleware } from './middleware/resolveMethod.js'
import { createValidateParamsMiddleware } from './middleware/validateParams.js'
import type { MethodDefinition } from './types.js'

/** THE order of the steps of one request, reviewed here and nowhere else. */
export function createRpcPipeline(services: Services, methods: ReadonlyMap<string, MethodDefinition>) {
  return compose([
    createResolveMethodMiddleware(methods),
    createValidateParamsMiddleware(),
    createAuthorizeMiddleware(services),
    createRateLimitMiddleware(services),
    createRequireApprovalMiddleware(services),
    createDispatchMiddleware(services),
  ])
}
