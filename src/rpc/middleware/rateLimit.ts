import { policyCovers } from '../../approval/policy/evaluatePolicy.js'
import { createRefusalReporter } from '../../ratelimit/createRefusalReporter.js'
import type { LimitVerdict } from '../../ratelimit/types.js'
import type { Services } from '../services.js'
import type { ResolvedContext, Step } from '../types.js'

/**
 * Charges the request (each batch element) to the origin × cost-class, domain and global buckets.
 * A refusal is -32005 with `data: { retryAfterMs, limit }`, counted in metrics by limit and tier,
 * and logged once per burst per origin and limit (warn), never per request (the refusal reporter
 * the connection layer uses too). For methods with an approval, the charge is given back unless a
 * prompt was shown and not approved; requests the running policy could approve are charged to its
 * own budget; and a prompt that would be refused as already pending (-32002) is refused before any
 * charge.
 */
export function createRateLimitStep(services: Services): Step {
  const { limiter, metrics, now, config, policy, approvals } = services
  const refusals = createRefusalReporter({
    counter: metrics.rateLimited,
    quietMs: config.rateLimit.logQuietMs,
    now,
  })
  const refuse = (ctx: ResolvedContext, verdict: Extract<LimitVerdict, { ok: false }>) => {
    const { limit, retryAfterMs } = verdict
    const origin = ctx.conn.origin
    return refusals.refuse({
      key: limit.startsWith('global') ? limit : limit + '\n' + origin,
      limit,
      retryAfterMs,
      log: ctx.log,
      fields: { origin, method: ctx.method.method },
    })
  }
  return {
    name: 'rateLimit',
    plan(method) {
      const spec = method.approval
      if (!spec) {
        // No approval, no policy budget, no refund: one synchronous charge.
        return {
          check(ctx) {
            const verdict = limiter.take({
              origin: ctx.conn.origin,
              method: method.method,
              cost: method.cost,
              connId: ctx.conn.id,
            })
            if (!verdict.ok) throw refuse(ctx, verdict)
          },
        }
      }
      return {
        async around(ctx, next) {
          const origin = ctx.conn.origin
          const budget =
            policy &&
            policyCovers(policy, {
              origin,
              method: method.method,
              kind: spec.kind,
              chainId: ctx.session.chainId,
            })
              ? 'policy'
              : undefined
          // A page firing prompts without waiting gets -32002 for each while one is pending, and spends
          // no budget on them (the broker checks again when it queues).
          if (budget === undefined && (!spec.when || spec.when({ params: ctx.params, ctx, services })))
            approvals.assertCanQueue(origin, spec.kind)
          const charge = { origin, method: method.method, cost: method.cost, budget }
          const verdict = limiter.take({ ...charge, connId: ctx.conn.id })
          if (!verdict.ok) throw refuse(ctx, verdict)
          // Prompt budgets stop a page from flooding a person, not a person who answers: only a prompt
          // that was shown and not approved (rejected, unanswered, cancelled) keeps its token.
          let result: unknown
          try {
            result = await next()
          } catch (err) {
            if (!spentOnPerson(ctx)) limiter.refund(charge)
            throw err
          }
          if (!spentOnPerson(ctx)) limiter.refund(charge)
          return result
        },
      }
    },
  }
}

/** A prompt reached somebody who could decide, and was not approved. */
function spentOnPerson(ctx: ResolvedContext): boolean {
  const decided = ctx.approval?.decided
  return decided?.asked === true && !decided.approved
}
