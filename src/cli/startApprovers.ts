import { InvalidArgumentError } from 'commander'
import { UsageError } from '../errors/startup.js'

/** Who may decide approvals, as `walletd start --approver` names them. */
export type ApproverKind = 'terminal' | 'cli' | 'notification' | 'none'

const KINDS: readonly ApproverKind[] = ['terminal', 'cli', 'notification', 'none']

/** commander parser: `--approver terminal,cli` (repeatable; the lists add up). */
export function parseApproverList(value: string, previous: ApproverKind[] = []): ApproverKind[] {
  const out = [...previous]
  for (const part of value.split(',').map((p) => p.trim())) {
    if (!(KINDS as readonly string[]).includes(part))
      throw new InvalidArgumentError(`expected a comma-separated list of ${KINDS.join(', ')} (got "${part}")`)
    if (!out.includes(part as ApproverKind)) out.push(part as ApproverKind)
  }
  return out
}

/**
 * The approvers of `walletd start`: as asked, else the default — `terminal,cli` when stdin and
 * stderr are terminals, `cli` otherwise (a service: approve with `walletd approve` / `prompts`),
 * or nobody besides the policy when `--policy` runs without a terminal (CI).
 * `none` stands alone and means fail closed: nobody can decide, every approval is refused.
 * `external` says whether decisions are taken over the admin socket (the `cli` approver).
 */
export function chooseApprovers(
  asked: readonly ApproverKind[] | undefined,
  tty: boolean,
  withPolicy = false,
): { kinds: ApproverKind[]; external: boolean; defaulted: boolean } {
  // With a policy and no terminal (CI), what no rule decides is refused at once rather than
  // waiting for a `walletd approve` that nobody will type; `--approver cli` asks for that.
  const byDefault: ApproverKind[] = tty ? ['terminal', 'cli'] : withPolicy ? ['none'] : ['cli']
  const kinds = asked && asked.length > 0 ? [...asked] : byDefault
  if (kinds.includes('none') && kinds.length > 1)
    throw new UsageError('--approver none stands alone: it refuses every approval (fail closed).')
  if (kinds.includes('terminal') && !tty)
    throw new UsageError('--approver terminal needs stdin and stderr to be a terminal.')
  return {
    kinds: kinds.filter((k) => k !== 'none'),
    external: kinds.includes('cli'),
    defaulted: !asked || asked.length === 0,
  }
}

/** The line `walletd start` prints on stderr about who approves. */
export function describeApprovers(
  kinds: readonly ApproverKind[],
  defaulted: boolean,
  tty: boolean,
  policy?: string,
): string {
  const first = policy
    ? `policy ${policy === 'dev' ? 'dev (built-in: chain 31337, Anvil dev accounts)' : policy} first, then `
    : ''
  if (kinds.length === 0)
    return policy
      ? `walletd: approvals: ${first}nobody — what no rule decides is refused (4001, reason no-approver).`
      : 'walletd: approvals: none — every connect, sign, send and chain-switch request is refused (4001, reason no-approver).'
  const parts: string[] = []
  if (kinds.includes('terminal')) parts.push('asked here (any answer but the one asked for rejects)')
  if (kinds.includes('cli'))
    parts.push(
      '`walletd pending` / `walletd approve ID` / `walletd reject ID` / `walletd prompts` from any terminal',
    )
  if (kinds.includes('notification'))
    parts.push('OS notifications (connect and plain messages only; the rest point to the CLI)')
  const why = defaulted && !tty ? ' (stdin or stderr is not a terminal)' : ''
  return `walletd: approvals: ${first}${kinds.join(', ')}${why} — ${parts.join('; ')}.`
}
