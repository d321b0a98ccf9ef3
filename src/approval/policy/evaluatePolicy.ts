import type { Address } from 'viem'
import type { ApprovalDecision, ApprovalFacts, ApprovalRequest, SimulationFacts } from '../types.js'
import type { Policy, PolicyRule } from './policySchema.js'

/** What a rule already approved within a period: spend (value + max fees) and simulated outflows. */
export type SpendLedger = {
  spent(rule: string, sinceMs: number): bigint
  /** Net outflow of `asset` (`native`, or a lowercase token address) approved by the rule since then; 0 when absent. */
  outflow?(rule: string, asset: string, sinceMs: number): bigint
}

export type PolicyVerdict =
  | { decision: ApprovalDecision; rule: string; why: string }
  | { decision: undefined; rule: null; why: string }

/** Selectors of calls that grant an allowance or an operator approval (also without decoded facts). */
const APPROVAL_SELECTORS = new Set([
  '0x095ea7b3', // approve(address,uint256) — ERC-20 and ERC-721
  '0x39509351', // increaseAllowance(address,uint256)
  '0xa22cb465', // setApprovalForAll(address,bool)
  '0xd505accf', // permit(address,address,uint256,uint256,uint8,bytes32,bytes32) — EIP-2612
  '0x87517c45', // Permit2 approve(address,address,uint160,uint48)
  '0x2b67b570', // Permit2 permit(address,PermitSingle,bytes)
  '0x2a2d80d1', // Permit2 permit(address,PermitBatch,bytes)
])

/** Typed-data primary types that grant an allowance (EIP-2612, Permit2 and kin). */
const APPROVAL_PRIMARY_TYPES = new Set([
  'Permit',
  'PermitSingle',
  'PermitBatch',
  'PermitTransferFrom',
  'PermitBatchTransferFrom',
  'PermitWitnessTransferFrom',
  'PermitBatchWitnessTransferFrom',
  'PermitForAll',
])

/**
 * Whether approving this would grant somebody an allowance or an operator approval: a call
 * decoded as one, a known approval selector, an approval the simulation saw (inside any call), a
 * recognised permit or a permit-like primary type.
 */
export function grantsApproval(facts: ApprovalFacts): boolean {
  const call = (c: { selector: string | null; decoded?: { grantsApproval: boolean } | undefined }) =>
    c.decoded?.grantsApproval === true ||
    (c.selector !== null && APPROVAL_SELECTORS.has(c.selector.toLowerCase()))
  if (facts.kind === 'transaction') return call(facts) || (facts.simulation?.approvals.length ?? 0) > 0
  if (facts.kind === 'calls') return facts.calls.some(call) || (facts.simulation?.approvals.length ?? 0) > 0
  // Stryker disable next-line ConditionalExpression: the other kinds have none of these fields, so the test below is false for them too
  if (facts.kind === 'typedData')
    return (
      facts.decoded?.grantsApproval === true ||
      (facts.allowances?.length ?? 0) > 0 ||
      APPROVAL_PRIMARY_TYPES.has(facts.primaryType)
    )
  return false
}

/**
 * The sender's simulated net outflow of `asset` (`native`: wei, the fee included; a token
 * address: base units over every token id), 0 when it gains or keeps it. null when the changes
 * were not simulated (not simulated at all, or only with eth_call).
 */
export function simulatedOutflow(simulation: SimulationFacts | undefined, asset: string): bigint | null {
  if (!simulation?.changesKnown || simulation.status === 'not-simulated') return null
  let net: bigint
  if (asset === 'native') {
    if (simulation.nativeChange === null) return null
    net = simulation.nativeChange
  } else {
    net = simulation.tokenChanges
      .filter((c) => c.token.toLowerCase() === asset)
      .reduce((sum, c) => sum + c.change, 0n)
  }
  // Stryker disable next-line EqualityOperator: at 0 both sides give 0 (-0n is 0n)
  return net < 0n ? -net : 0n
}

/** The asset key of an outflow cap: `native` or the lowercase token address (`native` is lowercase already). */
export const assetKey = (token: string) => token.toLowerCase()

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
const includesAddress = (list: readonly string[], a: string) => list.some((x) => sameAddress(x, a))
/** A rule's `to` allows this recipient (null: contract creation, allowed by `create`; no address equals `create`). */
const recipientListed = (to: readonly string[], recipient: string | null) =>
  recipient === null ? to.includes('create') : includesAddress(to, recipient)

/** Why a rule does not match the request (null when it matches). */
function mismatch(rule: PolicyRule, request: ApprovalRequest): string | null {
  const { facts } = request
  if (!rule.chainIds.includes(facts.chainId)) return `chain ${facts.chainId} is not one of its chainIds`
  if (facts.kind === 'chain' && !rule.chainIds.includes(facts.targetChainId))
    return `the target chain ${facts.targetChainId} is not one of its chainIds`
  if (rule.origins && !rule.origins.includes(request.origin)) return `origin ${request.origin} is not listed`
  if (rule.kinds && !rule.kinds.includes(request.kind)) return `kind ${request.kind} is not listed`
  if (rule.methods && !rule.methods.includes(request.method)) return `method ${request.method} is not listed`
  if (rule.accounts) {
    if (facts.kind === 'connect') {
      if (!rule.accounts.some((a) => includesAddress(facts.accounts, a)))
        return 'none of its accounts is unlocked'
    } else if ('account' in facts) {
      if (!includesAddress(rule.accounts, facts.account)) return `account ${facts.account} is not listed`
    } else return `a ${request.kind} request acts for no account`
  }
  if (facts.kind === 'calls') {
    // A batch matches when every one of its calls would.
    for (const [i, c] of facts.calls.entries()) {
      if (rule.to && !recipientListed(rule.to, c.to))
        return `call ${i + 1}: ${c.to === null ? 'contract creation is not allowed' : `recipient ${c.to} is not listed`}`
      if (rule.selectors && (c.selector === null || !rule.selectors.includes(c.selector.toLowerCase())))
        return `call ${i + 1}: selector ${c.selector ?? '(none)'} is not listed`
    }
  } else if (rule.to || rule.selectors) {
    if (facts.kind !== 'transaction') return `a ${request.kind} request has no recipient or selector`
    if (rule.to && !recipientListed(rule.to, facts.to))
      return facts.to === null ? 'contract creation is not allowed' : `recipient ${facts.to} is not listed`
    if (rule.selectors && (facts.selector === null || !rule.selectors.includes(facts.selector.toLowerCase())))
      return `selector ${facts.selector ?? '(none)'} is not listed`
  }
  if (rule.typedData) {
    if (facts.kind !== 'typedData') return `a ${request.kind} request is not typed data`
    const { primaryTypes, domainNames, verifyingContracts } = rule.typedData
    if (primaryTypes && !primaryTypes.includes(facts.primaryType))
      return `primary type ${facts.primaryType} is not listed`
    if (domainNames && !domainNames.some((n) => n === facts.domain.name))
      return `domain name ${facts.domain.name ?? '(none)'} is not listed`
    if (
      verifyingContracts &&
      (facts.domain.verifyingContract === undefined ||
        !includesAddress(verifyingContracts, facts.domain.verifyingContract))
    )
      return `verifying contract ${facts.domain.verifyingContract ?? '(none)'} is not listed`
  }
  return null
}

/** Why an approve rule that matches must still refuse (a cap, an allowance), or null. */
function overCap(
  rule: PolicyRule,
  request: ApprovalRequest,
  ledger: SpendLedger,
  now: number,
): string | null {
  const { facts } = request
  if (rule.allowApprovals !== true && grantsApproval(facts))
    return 'it would grant a token allowance or an operator approval (allowApprovals is not set)'
  if (facts.kind !== 'transaction' && facts.kind !== 'calls') return null
  const maxValue = rule.maxValueWei ?? null
  if (maxValue !== null && facts.value > maxValue)
    return `value ${facts.value} wei is above maxValueWei ${maxValue}`
  if (rule.spend) {
    const cost = facts.value + facts.maxFeeWei
    const spent = ledger.spent(rule.name, now - rule.spend.periodSeconds * 1000)
    if (spent + cost > rule.spend.maxWei)
      return `its spend cap would be exceeded: ${spent} wei spent in the last ${rule.spend.periodSeconds} s, this one costs up to ${cost} wei, the cap is ${rule.spend.maxWei}`
  }
  const caps = [...(rule.maxOutflow ?? []), ...(rule.maxOutflowPerPeriod ?? [])]
  if (caps.length > 0) {
    // Fail closed: caps on what leaves need the simulated changes; without them, no approval.
    const sim = facts.simulation
    if (!sim?.changesKnown || sim.status === 'not-simulated')
      return `its outflow caps need the simulated balance changes, and this ${facts.kind === 'calls' ? 'batch' : 'transaction'} was ${sim === undefined || sim.status === 'not-simulated' ? 'not simulated' : `simulated only with ${sim.by} (changes not seen)`}`
    for (const cap of rule.maxOutflow ?? []) {
      const out = simulatedOutflow(sim, assetKey(cap.token))
      if (out === null) return `its outflow cap on ${cap.token} needs the simulated balance changes`
      if (out > cap.amount)
        return `the simulated outflow of ${cap.token} is ${out}, above its maxOutflow ${cap.amount}`
    }
    for (const cap of rule.maxOutflowPerPeriod ?? []) {
      const out = simulatedOutflow(sim, assetKey(cap.token))
      if (out === null) return `its outflow cap on ${cap.token} needs the simulated balance changes`
      const before = ledger.outflow?.(rule.name, assetKey(cap.token), now - cap.periodSeconds * 1000) ?? 0n
      if (before + out > cap.amount)
        return `its outflow cap on ${cap.token} would be exceeded: ${before} out in the last ${cap.periodSeconds} s, this one sends ${out}, the cap is ${cap.amount}`
    }
  }
  return null
}

/**
 * The first rule that matches decides: `reject` rejects; `approve` approves unless a cap or the
 * allowance rule refuses it (then it rejects, naming the rule). No rule matches → no decision
 * (the other approvers decide, or nobody). Reads typed facts only, never display text. Pure.
 */
export function evaluatePolicy(
  policy: Policy,
  request: ApprovalRequest,
  ledger: SpendLedger,
  now: number,
): PolicyVerdict {
  const skipped: string[] = []
  for (const rule of policy.rules) {
    const why = mismatch(rule, request)
    if (why !== null) {
      skipped.push(`${rule.name}: ${why}`)
      continue
    }
    if (rule.action === 'reject')
      return {
        decision: { approved: false, reason: 'rejected', rule: rule.name },
        rule: rule.name,
        why: 'reject rule',
      }
    const refused = overCap(rule, request, ledger, now)
    if (refused !== null)
      return {
        decision: { approved: false, reason: 'rejected', rule: rule.name },
        rule: rule.name,
        why: `refused: ${refused}`,
      }
    let accounts: Address[] | undefined
    if (request.facts.kind === 'connect' && rule.accounts) {
      const offered = request.facts.accounts
      accounts = offered.filter((a) => includesAddress(rule.accounts!, a))
    }
    return {
      decision: { approved: true, rule: rule.name, ...(accounts ? { accounts } : {}) },
      rule: rule.name,
      why: 'approve rule',
    }
  }
  return {
    decision: undefined,
    rule: null,
    why: skipped.length ? `no rule matched (${skipped.join('; ')})` : 'no rule',
  }
}

/**
 * Whether some approve rule could decide a request of this origin, method, kind and chain (before
 * its facts are known): such requests are charged to the policy's own rate limit instead of the
 * prompt and sign budgets, which are sized for a person.
 */
export function policyCovers(
  policy: Policy,
  request: { origin: string; method: string; kind: string; chainId: number },
): boolean {
  return policy.rules.some(
    (r) =>
      r.action === 'approve' &&
      r.chainIds.includes(request.chainId) &&
      (!r.origins || r.origins.includes(request.origin)) &&
      (!r.kinds || r.kinds.includes(request.kind)) &&
      (!r.methods || r.methods.includes(request.method)),
  )
}
