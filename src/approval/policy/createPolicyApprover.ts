import type { Approver } from '../types.js'
import { assetKey, evaluatePolicy, type SpendLedger, simulatedOutflow } from './evaluatePolicy.js'
import type { Policy } from './policySchema.js'

export type PolicyApprover = Approver & {
  readonly policy: Policy
  /** The sha256 of the attested file (or `builtin:dev`). */
  readonly hash: string
}

/**
 * The policy as an approver: instant (no person, so it is asked first, outside the prompt queue),
 * deciding from the request's typed facts. It abstains when no rule matches. Spend per period is
 * kept in memory per rule (value plus maximum fees of each approved transaction, and the simulated
 * net outflow per asset its period caps name) and starts empty at every start: a cap bounds what
 * one run of the daemon approves.
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
  /** `rule\nasset` → what left, when. */
  const outflows = new Map<string, Array<{ at: number; amount: bigint }>>()
  const longest = Math.max(
    0,
    ...policy.rules.flatMap((r) => [
      r.spend ? r.spend.periodSeconds * 1000 : 0,
      ...(r.maxOutflowPerPeriod ?? []).map((c) => c.periodSeconds * 1000),
    ]),
  )
  const sum = (list: Array<{ at: number; amount: bigint }> | undefined, sinceMs: number) => {
    let total = 0n
    // Stryker disable next-line ArrayDeclaration: an element without a time counts for nothing either
    for (const e of list ?? []) if (e.at > sinceMs) total += e.amount
    return total
  }
  /** Drops what no period reaches any more (memory only: `sum` reads its own window). */
  const recent = <T extends { at: number }>(list: T[] | undefined, t: number): T[] =>
    // Stryker disable next-line ArrayDeclaration,MethodExpression,ConditionalExpression,EqualityOperator: keeping more changes no sum
    (list ?? []).filter((e) => e.at > t - longest)
  const ledger: SpendLedger = {
    spent(rule, sinceMs) {
      return sum(
        spends.get(rule)?.map((e) => ({ at: e.at, amount: e.wei })),
        sinceMs,
      )
    },
    outflow(rule, asset, sinceMs) {
      return sum(outflows.get(`${rule}\n${asset}`), sinceMs)
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
      const { facts } = request
      if (decision?.approved && (facts.kind === 'transaction' || facts.kind === 'calls')) {
        // An approval always names the rule that matched.
        const rule = policy.rules.find((r) => r.name === verdict.rule)!
        // Stryker disable next-line ConditionalExpression: a rule without a spend cap never reads its records
        if (rule.spend) {
          const list = recent(spends.get(rule.name), t)
          list.push({ at: t, wei: facts.value + facts.maxFeeWei })
          spends.set(rule.name, list)
        }
        for (const asset of new Set((rule.maxOutflowPerPeriod ?? []).map((c) => assetKey(c.token)))) {
          const key = `${rule.name}\n${asset}`
          const list = recent(outflows.get(key), t)
          list.push({ at: t, amount: simulatedOutflow(facts.simulation, asset) ?? 0n })
          outflows.set(key, list)
        }
      }
      return decision
    },
  }
}
