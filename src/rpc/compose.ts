import { InternalError } from '../errors/rpc.js'
import type { MethodDefinition, ResolvedContext, Step, StepPlan } from './types.js'

/**
 * Runs the steps in order. Each method gets its plan once (the steps that do something for it,
 * `Step.plan`), cached; a request then runs the plan's synchronous checks in a plain loop, enters a
 * step's `around` with `next` (the rest of the plan), and ends at the first `end`. A throw anywhere
 * is the request's rejection. Calling `next()` twice, or a plan that nothing ends, is an internal
 * error (MetaMask v2 / hono shape).
 */
export function compose(steps: readonly Step[]): (ctx: ResolvedContext) => Promise<unknown> {
  const plans = new Map<MethodDefinition, readonly StepPlan[]>()
  const planFor = (method: MethodDefinition): readonly StepPlan[] => {
    let plan = plans.get(method)
    if (plan === undefined) {
      plan = steps.map((s) => s.plan(method)).filter((p): p is StepPlan => p !== null)
      plans.set(method, plan)
    }
    return plan
  }
  return function run(ctx) {
    try {
      return runFrom(planFor(ctx.method), 0, ctx)
    } catch (err) {
      return Promise.reject(err)
    }
  }
}

function runFrom(plan: readonly StepPlan[], from: number, ctx: ResolvedContext): Promise<unknown> {
  for (let i = from; i < plan.length; i++) {
    const step = plan[i]!
    step.check?.(ctx)
    if (step.end) return step.end(ctx)
    if (step.around) {
      let called = false
      return step.around(ctx, () => {
        if (called) return Promise.reject(new InternalError({ details: 'next() called multiple times' }))
        called = true
        try {
          return runFrom(plan, i + 1, ctx)
        } catch (err) {
          return Promise.reject(err)
        }
      })
    }
  }
  return Promise.reject(new InternalError({ details: 'Nothing ended the request' }))
}
