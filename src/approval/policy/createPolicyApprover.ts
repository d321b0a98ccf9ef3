import type { Approver } from '../types.js'
import { evaluatePolicy, type SpendLedger } from './evaluatePolicy.js'
import type { Policy } from './policySchema.js'

export type PolicyApprover = Approver & {
  readonly policy: Policy
  /** The sha256 of the attested file (or `builtin:dev`). */
  readonly hash: string
}

/**
 * The policy as an approver: instant (no person, so it is asked first, outside the prompt queue),
 * deciding from the request's typed facts. It abstains when no rule matches. Spend per period is
 * kept in memory per rule (value plus maximum fees of each approved transaction) and starts empty
 * at every start: a cap bounds what one run of the daemon approves.
 */
export function createPolicyApprover({
  policy,
  hash,
  now = Date.now,
}: {
  policy: Policy
  hash: string
  now?: () => number
}): PolicyApprover {
  const spends = new Map<string, Array<{ at: number; wei: bigint }>>()
  const longest = Math.max(0, ...policy.rules.map((r) => (r.spend ? r.spend.periodSeconds * 1000 : 0)))
  const ledger: SpendLedger = {
    spent(rule, sinceMs) {
      let sum = 0n
      for (const e of spends.get(rule) ?? []) if (e.at > sinceMs) sum += e.wei
      return sum
    },
  }
  return {
    name: 'policy',
    instant: true,
    policy,
    hash,
    async decide(request) {
      const t = now()
      const verdict = evaluatePolicy(policy, request, ledger, t)
      const { decision } = verdict
      if (decision?.approved && request.facts.kind === 'transaction') {
        const rule = policy.rules.find((r) => r.name === verdict.rule)
        if (rule?.spend) {
          const list = (spends.get(rule.name) ?? []).filter((e) => e.at > t - longest)
          list.push({ at: t, wei: request.facts.value + request.facts.maxFeeWei })
          spends.set(rule.name, list)
        }
      }
      return decision
    },
  }
}
