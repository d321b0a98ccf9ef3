import type { Services } from '../services.js'
import type { Step } from '../types.js'

/** Runs the method's handler: answers locally, signs, or forwards to the session's upstream. */
export function createDispatchStep(services: Services): Step {
  return {
    name: 'dispatch',
    plan(method) {
      if (!method.approval) {
        // No approval: nothing was prepared or decided.
        return { end: (ctx) => method.handler({ params: ctx.params, ctx, services, approved: undefined }) }
      }
      return {
        end(ctx) {
          const approval = ctx.approval
          return method.handler({
            params: ctx.params,
            ctx,
            services,
            approved:
              approval?.decided.approved === true
                ? { prepared: approval.prepared, accounts: approval.decided.accounts }
                : undefined,
          })
        },
      }
    },
  }
}
