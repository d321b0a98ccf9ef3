import type { Services } from '../services.js'
import type { Middleware } from '../types.js'

/** Runs the method's handler: answers locally, signs, or forwards to the session's upstream. */
export function createDispatchMiddleware(services: Services): Middleware {
  return async function dispatch(ctx) {
    const approval = ctx.approval
    return ctx.method.handler({
      params: ctx.params,
      ctx,
      services,
      approved:
        approval?.decided.approved === true
          ? { prepared: approval.prepared, accounts: approval.decided.accounts }
          : undefined,
    })
  }
}
