import type { Address } from 'viem'
import type { SimulationFacts, TokenStandard } from '../approval/types.js'
import { readAssetLog } from './readAssetLog.js'
import type { ApprovalLog, RawOutcome } from './types.js'

/** A token change before its metadata is read. */
export type BareTokenChange = {
  token: Address
  standard: TokenStandard
  tokenId: bigint | null
  change: bigint
}

/** What an outcome means for the sender, before metadata and recipient checks. */
export type Summary = {
  facts: Omit<SimulationFacts, 'tokenChanges' | 'approvals' | 'newRecipients'>
  tokenChanges: BareTokenChange[]
  approvals: ApprovalLog[]
  /** Where the sender's native or tokens go (not the sender, not the zero address), first seen first. */
  outflowRecipients: Address[]
}

const ZERO = '0x0000000000000000000000000000000000000000'

/**
 * Sums an outcome up for the sender: the net native change (fee not included: `withFee` adds it),
 * the net change per token (and token id), the approvals the sender grants (the last log per
 * token, spender and id wins, so approve-then-revoke lists nothing), where its assets go, the
 * first revert, the gas used. Pure.
 */
export function summarizeOutcome(sender: Address, outcome: RawOutcome): Summary {
  const me = sender.toLowerCase()
  const isMe = (a: string) => a.toLowerCase() === me
  const recipients = new Map<string, Address>()
  const outflowTo = (to: Address) => {
    if (!isMe(to) && to.toLowerCase() !== ZERO && !recipients.has(to.toLowerCase()))
      recipients.set(to.toLowerCase(), to)
  }

  let native = 0n
  for (const t of outcome.nativeTransfers) {
    if (isMe(t.from)) {
      native -= t.value
      if (t.value > 0n) outflowTo(t.to)
    }
    if (isMe(t.to)) native += t.value
  }

  const changes = new Map<string, BareTokenChange>()
  const approvals = new Map<string, ApprovalLog>()
  for (const log of outcome.logs) {
    const read = readAssetLog(log)
    if (!read) continue
    if (read.kind === 'movements') {
      for (const m of read.movements) {
        const out = isMe(m.from)
        const into = isMe(m.to)
        if (out === into) continue
        const key = `${m.token.toLowerCase()}:${m.standard}:${m.tokenId ?? ''}`
        const entry = changes.get(key) ?? {
          token: m.token,
          standard: m.standard,
          tokenId: m.tokenId,
          change: 0n,
        }
        entry.change += into ? m.amount : -m.amount
        changes.set(key, entry)
        if (out && m.amount > 0n) outflowTo(m.to)
      }
    } else if (read.kind === 'approval' && isMe(read.approval.owner)) {
      const a = read.approval
      const key = `${a.standard}:${a.token.toLowerCase()}:${a.forAll ? `all:${a.spender.toLowerCase()}` : a.tokenId !== null ? `id:${a.tokenId}` : `spender:${a.spender.toLowerCase()}`}`
      approvals.delete(key)
      approvals.set(key, a)
    }
  }

  const firstRevert = outcome.calls.findIndex((c) => c.status === 'reverted')
  const gasUsed = outcome.calls.every((c) => c.gasUsed !== null)
    ? outcome.calls.reduce((sum, c) => sum + (c.gasUsed ?? 0n), 0n)
    : null
  return {
    facts: {
      status: firstRevert === -1 ? 'success' : 'reverted',
      by: outcome.by,
      changesKnown: outcome.changesKnown,
      nativeChange: outcome.changesKnown ? native : null,
      fee: null,
      gasUsed,
      calls: outcome.calls.map((c) => ({ status: c.status, gasUsed: c.gasUsed })),
      contractsCreated: outcome.contractsCreated,
      revert:
        firstRevert === -1
          ? null
          : { callIndex: firstRevert, data: outcome.calls[firstRevert]!.revertData ?? '0x' },
      notes: outcome.notes,
    },
    tokenChanges: [...changes.values()].filter((c) => c.change !== 0n),
    approvals: [...approvals.values()].filter((a) => a.grants),
    outflowRecipients: [...recipients.values()],
  }
}

/**
 * The facts with the fee: gas used × the effective gas price of the filled transaction(s), taken
 * from the sender's native change. Unchanged when the gas used is unknown.
 */
export function withFee(facts: SimulationFacts, gasPrice: bigint): SimulationFacts {
  if (facts.gasUsed === null) return facts
  const fee = facts.gasUsed * gasPrice
  return { ...facts, fee, nativeChange: facts.nativeChange === null ? null : facts.nativeChange - fee }
}
