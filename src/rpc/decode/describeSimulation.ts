import type { Address } from 'viem'
import type {
  ApprovalWarning,
  DecodedCallFacts,
  GrantedApproval,
  SimulationFacts,
  TokenChange,
} from '../../approval/types.js'
import { decodeRevert } from './decodeRevert.js'
import { formatEtherAmount, formatTokenAmount } from './formatAmount.js'

/** A call of the simulated sequence as the prompt knows it (to match warnings against its decoding). */
export type DescribedCall = { to: Address | null; decoded?: DecodedCallFacts | undefined }

export type DescribeSimulationContext = {
  /** The calls that were simulated (one for a transaction). */
  calls: readonly DescribedCall[]
  /** The prompt already warns that the transaction reverts (its gas estimate reverted). */
  revertWarned: boolean
}

/** Lines of a list shown at most (the facts keep them all). */
const MAX_LINES = 50

/**
 * What a simulation says, for a person: the details' `simulation` section (outcome, the sender's
 * native change with the fee, token changes with symbols and decimals, approvals granted,
 * contracts created, what could not be seen) and the WARNINGs: not simulated or only partly
 * (said plainly, never a silent gap), a revert (with its decoded reason) unless the prompt
 * already says so, unlimited approvals and approvals for all that the decoded calls do not
 * already name, outflows to new addresses without code.
 */
export function describeSimulation(
  sim: SimulationFacts,
  { calls, revertWarned }: DescribeSimulationContext,
): { details: Record<string, unknown>; warnings: ApprovalWarning[] } {
  const warnings: ApprovalWarning[] = []
  const warn = (message: string) => warnings.push({ level: 'warning', message })
  const details: Record<string, unknown> = {}
  const batch = calls.length > 1
  const what = batch ? 'this batch' : 'this transaction'

  if (sim.status === 'not-simulated') {
    details.result = 'NOT SIMULATED'
    details.why = sim.notes.length === 1 ? sim.notes[0] : [...sim.notes]
    warn(
      `NOT SIMULATED: walletd could not simulate ${what} (${sim.notes.join('; ') || 'no reason given'}). What it would do — balance changes, approvals granted, whether it fails — was NOT checked.`,
    )
    return { details: { simulation: details }, warnings }
  }

  const revert = sim.revert ? decodeRevert(sim.revert.data) : null
  const where = sim.revert && batch ? `call ${sim.revert.callIndex + 1} of ${calls.length} ` : ''
  details.result =
    sim.status === 'reverted'
      ? `${where}REVERTS: ${revert?.text ?? 'reverted'}`
      : batch
        ? `all ${calls.length} calls succeed`
        : 'succeeds'
  details.by =
    sim.by === 'eth_simulateV1'
      ? 'eth_simulateV1 on the latest block (transfers traced)'
      : sim.by === 'debug_traceCall'
        ? 'debug_traceCall with the call tracer, on the latest block'
        : 'eth_call on the latest block (success or revert only)'
  if (sim.revert) details.revertData = sim.revert.data

  if (sim.changesKnown) {
    if (sim.nativeChange !== null) details.ETH = signedEther(sim.nativeChange)
  } else {
    warn(
      `PARTLY SIMULATED: ${sim.by} says ${what} ${sim.status === 'reverted' ? 'reverts' : 'succeeds'}, but what it moves — balance changes, approvals granted, contracts created — was NOT SIMULATED (${sim.notes.join('; ')}).`,
    )
  }
  if (sim.fee !== null)
    details.fee = `${formatEtherAmount(sim.fee)} for ${sim.gasUsed} gas (at the latest block's base fee)`
  else if (sim.gasUsed !== null) details.gasUsed = sim.gasUsed.toString()

  if (sim.changesKnown) {
    details.tokens =
      sim.tokenChanges.length === 0 ? 'no token balance changes' : list(sim.tokenChanges.map(tokenLine))
    if (sim.approvals.length > 0) details.approvals = list(sim.approvals.map(approvalLine))
    if (sim.contractsCreated.length > 0) details.contractsCreated = list(sim.contractsCreated)
  }
  if (sim.notes.length > 0) details.notes = [...sim.notes]

  if (sim.status === 'reverted' && !revertWarned) {
    warn(
      `The simulation REVERTS${where ? ` at ${where.trim()}` : ''}: ${revert?.text ?? 'reverted'}. Sending it will likely fail, and a failed transaction still costs fees.`,
    )
  }
  if (batch && sim.by !== 'eth_simulateV1') {
    warn(
      'The calls were simulated one by one against the latest state, not as a sequence: a call that depends on an earlier one may look like it fails, or succeed here and fail when sent.',
    )
  }
  for (const a of sim.approvals) {
    if (!a.unlimited || namedByDecodedCall(a, calls)) continue
    const token = a.symbol ? `${a.symbol} (${a.token})` : a.token
    warn(
      a.forAll
        ? `Approval for ALL granted (simulated): ${a.spender} could move every ${token} token you hold, now and later.`
        : `UNLIMITED approval granted (simulated): ${a.spender} could spend ALL your ${token}, now and later, without asking again.`,
    )
  }
  for (const r of sim.newRecipients) {
    warn(
      `${r} would receive your assets, but it has no code and walletd has not sent to it from this account before: check the address (a typo or a look-alike address sends funds away for good).`,
    )
  }
  return { details: { simulation: details }, warnings }
}

/** `−1.000042 ETH (−1000042000000000000 wei)`; `+…` for an inflow. */
function signedEther(wei: bigint): string {
  if (wei === 0n) return 'no change'
  const sign = wei < 0n ? '−' : '+'
  return `${sign}${formatEtherAmount(wei < 0n ? -wei : wei)}`
}

function tokenLine(c: TokenChange): string {
  const sign = c.change < 0n ? '−' : '+'
  const abs = c.change < 0n ? -c.change : c.change
  const units = { symbol: c.symbol, decimals: c.decimals }
  if (c.standard === 'erc20') return `${sign}${formatTokenAmount(abs, units)} (ERC-20 ${c.token})`
  const name = c.symbol ?? 'tokens'
  return c.standard === 'erc721'
    ? `${sign}${abs} ${name} #${c.tokenId} (ERC-721 ${c.token})`
    : `${sign}${abs} of ${name} #${c.tokenId} (ERC-1155 ${c.token})`
}

function approvalLine(a: GrantedApproval): string {
  const token = `${a.symbol ?? 'token'} ${a.token}`
  const until = a.deadline !== null ? `, until ${a.deadline}` : ''
  if (a.forAll) return `ALL ${a.symbol ? `${a.symbol} ` : ''}tokens (${a.token}) to operator ${a.spender}`
  if (a.tokenId !== null) return `NFT #${a.tokenId} of ${token} to ${a.spender}`
  const amount = a.unlimited
    ? `UNLIMITED (${a.amount} raw units)`
    : formatTokenAmount(a.amount ?? 0n, { symbol: a.symbol, decimals: a.decimals })
  return `${amount} of ${token} to spender ${a.spender}${until}`
}

function list(lines: readonly string[]): string[] {
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`]
    : [...lines]
}

/** The approval is the call's own decoded approve / setApprovalForAll, which already warned. */
function namedByDecodedCall(a: GrantedApproval, calls: readonly DescribedCall[]): boolean {
  return calls.some(
    (c) =>
      c.to !== null &&
      c.decoded?.grantsApproval === true &&
      c.decoded.unlimited &&
      c.to.toLowerCase() === a.token.toLowerCase() &&
      c.decoded.counterparty?.toLowerCase() === a.spender.toLowerCase(),
  )
}
