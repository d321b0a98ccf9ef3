import { type Address, getAddress, isAddress } from 'viem'
import type { ApprovalWarning } from '../../approval/types.js'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import {
  type CallRisk,
  type DisplayLine,
  HUGE_AMOUNT,
  UNLIMITED_UINT160,
  UNLIMITED_UINT256,
} from './decodeCall.js'
import { fitSummary } from './fitSummary.js'
import { compactTokenAmount, formatDeadline, formatTokenAmount, type TokenUnits } from './formatAmount.js'

type Field = { name: string; type: string }
type Types = Readonly<Record<string, readonly Field[]>>

/** Uniswap's Permit2, deployed at the same address on every chain. */
export const PERMIT2_ADDRESS: Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3'

/** A typed-data permit walletd recognises by its exact type shapes, with its values. */
export type PermitTemplate =
  | {
      standard: 'erc2612'
      primaryType: 'Permit'
      /** The token: the domain's verifyingContract. */
      token: Address
      owner: Address
      spender: Address
      value: bigint
      nonce: bigint
      deadline: bigint
    }
  | {
      standard: 'permit2'
      kind: 'allowance'
      primaryType: 'PermitSingle' | 'PermitBatch'
      verifyingContract: Address | null
      spender: Address
      sigDeadline: bigint
      details: readonly { token: Address; amount: bigint; expiration: bigint; nonce: bigint }[]
    }
  | {
      standard: 'permit2'
      kind: 'transfer'
      primaryType: string
      verifyingContract: Address | null
      spender: Address
      nonce: bigint
      deadline: bigint
      permitted: readonly { token: Address; amount: bigint }[]
      /** A witness struct is signed too (PermitWitnessTransferFrom): shown with the message. */
      witness: boolean
    }

/** A recognised permit described for a person. */
export type DecodedPermit = {
  readonly template: PermitTemplate
  /** One short phrase for the summary line (under 100 characters). */
  readonly summary: string
  readonly display: readonly DisplayLine[]
  readonly warnings: readonly ApprovalWarning[]
  readonly risks: readonly (CallRisk | 'far-deadline')[]
}

const ERC2612: Record<string, string> = {
  owner: 'address',
  spender: 'address',
  value: 'uint256',
  nonce: 'uint256',
  deadline: 'uint256',
}
const PERMIT_DETAILS = { token: 'address', amount: 'uint160', expiration: 'uint48', nonce: 'uint48' }
const TOKEN_PERMISSIONS = { token: 'address', amount: 'uint256' }

/**
 * EIP-2612 `Permit`, and Permit2's `PermitSingle`, `PermitBatch`, `PermitTransferFrom`,
 * `PermitBatchTransferFrom` and their witness variants, recognised by the exact fields of their
 * types (names and types; nested struct names may differ). null for anything else, which keeps
 * the generic permit warnings of parseTypedData. `message` holds parsed values (uints as bigint).
 */
export function recognizePermit(
  primaryType: string,
  types: Types,
  domain: Readonly<Record<string, unknown>>,
  message: Readonly<Record<string, unknown>>,
): PermitTemplate | null {
  const fields = types[primaryType]
  if (!fields) return null
  const verifyingContract =
    typeof domain.verifyingContract === 'string' && isAddress(domain.verifyingContract, { strict: false })
      ? getAddress(domain.verifyingContract)
      : null

  if (primaryType === 'Permit' && shapeIs(fields, ERC2612)) {
    if (!verifyingContract) return null
    return {
      standard: 'erc2612',
      primaryType,
      token: verifyingContract,
      owner: address(message.owner),
      spender: address(message.spender),
      value: message.value as bigint,
      nonce: message.nonce as bigint,
      deadline: message.deadline as bigint,
    }
  }

  if (primaryType === 'PermitSingle' || primaryType === 'PermitBatch') {
    const details = fields.find((f) => f.name === 'details')
    const batch = primaryType === 'PermitBatch'
    if (!details || !shapeIs(fields, { details: details.type, spender: 'address', sigDeadline: 'uint256' }))
      return null
    const inner = batch ? arrayOf(details.type) : details.type
    if (!inner || !types[inner] || !shapeIs(types[inner]!, PERMIT_DETAILS)) return null
    const list = (batch ? message.details : [message.details]) as Record<string, unknown>[]
    return {
      standard: 'permit2',
      kind: 'allowance',
      primaryType,
      verifyingContract,
      spender: address(message.spender),
      sigDeadline: message.sigDeadline as bigint,
      details: list.map((d) => ({
        token: address(d.token),
        amount: d.amount as bigint,
        expiration: d.expiration as bigint,
        nonce: d.nonce as bigint,
      })),
    }
  }

  const transfer = /^Permit(Batch)?(Witness)?TransferFrom$/.exec(primaryType)
  if (transfer) {
    const [, batch, witness] = transfer
    const permitted = fields.find((f) => f.name === 'permitted')
    if (!permitted) return null
    const expected: Record<string, string> = {
      permitted: permitted.type,
      spender: 'address',
      nonce: 'uint256',
      deadline: 'uint256',
    }
    const extra = fields.filter((f) => !Object.hasOwn(expected, f.name))
    if (witness) {
      if (
        extra.length !== 1 ||
        !shapeIs(
          fields.filter((f) => Object.hasOwn(expected, f.name)),
          expected,
        )
      )
        return null
    } else if (!shapeIs(fields, expected)) return null
    const inner = batch ? arrayOf(permitted.type) : permitted.type
    if (!inner || !types[inner] || !shapeIs(types[inner]!, TOKEN_PERMISSIONS)) return null
    const list = (batch ? message.permitted : [message.permitted]) as Record<string, unknown>[]
    return {
      standard: 'permit2',
      kind: 'transfer',
      primaryType,
      verifyingContract,
      spender: address(message.spender),
      nonce: message.nonce as bigint,
      deadline: message.deadline as bigint,
      permitted: list.map((p) => ({ token: address(p.token), amount: p.amount as bigint })),
      witness: Boolean(witness),
    }
  }
  return null
}

export type DescribePermitContext = {
  /** Token metadata by lowercase address (createTokenInfoCache). */
  tokens: ReadonlyMap<string, TokenInfo>
  /** Whether the spender has code; null or absent when unknown. */
  spenderHasCode?: boolean | null
  now: () => number
}

const ONE_YEAR_S = 365n * 24n * 3600n
const MAX_UINT48 = 2n ** 48n - 1n

/**
 * Describes a recognised permit: token amounts with decimals and symbol (raw units beside),
 * UNLIMITED amounts and far deadlines as WARNINGs, a spender without code flagged, and — as
 * for any permit — that signing lets the spender move tokens without another prompt.
 */
export function describePermit(template: PermitTemplate, context: DescribePermitContext): DecodedPermit {
  const display: DisplayLine[] = []
  const warnings: ApprovalWarning[] = []
  const risks: (CallRisk | 'far-deadline')[] = []
  const line = (label: string, value: string) => display.push({ label, value })
  const warn = (risk: CallRisk | 'far-deadline', message: string) => {
    if (!risks.includes(risk)) risks.push(risk)
    warnings.push({ level: 'warning', message })
  }
  const tokenOf = (a: Address) => context.tokens.get(a.toLowerCase()) ?? null
  const units = (t: TokenInfo | null): TokenUnits => ({
    symbol: t?.symbol ?? null,
    decimals: t?.decimals ?? null,
  })
  const nowS = BigInt(Math.floor(context.now() / 1000))
  const far = (s: bigint) => s > nowS + ONE_YEAR_S
  const { spender } = template
  const name = `Token permit (${template.primaryType})`

  const amount = (label: string, value: bigint, unlimited: bigint, token: Address) => {
    const t = tokenOf(token)
    const yours = t?.symbol ? `your ${t.symbol}` : 'of this token'
    if (value >= unlimited) {
      line(label, `UNLIMITED (${value} raw units)`)
      warn(
        'unlimited-allowance',
        `${name} for an UNLIMITED amount: ${spender} could spend ALL ${yours}, without another prompt.`,
      )
    } else {
      line(label, formatTokenAmount(value, units(t)))
      if (value >= HUGE_AMOUNT) {
        warn(
          'huge-allowance',
          `${name} for an enormous amount (${compactTokenAmount(value, units(t))}): ${spender} could spend practically all ${yours}.`,
        )
      }
    }
  }
  const short = (value: bigint, unlimited: bigint, token: Address) => {
    const t = tokenOf(token)
    const symbol = t?.symbol ? (t.symbol.length > 16 ? `${t.symbol.slice(0, 15)}…` : t.symbol) : null
    return value >= unlimited
      ? `UNLIMITED ${symbol ?? 'tokens'}`
      : compactTokenAmount(value, { ...units(t), symbol })
  }
  const tokenLine = (label: string, token: Address) => {
    const t = tokenOf(token)
    const named = t
      ? [t.name, t.symbol && t.symbol !== t.name ? `(${t.symbol})` : null].filter(Boolean).join(' ')
      : ''
    line(
      label,
      named
        ? `${named} at ${token}${t?.decimals !== null && t?.decimals !== undefined ? `, ${t.decimals} decimals` : ''}`
        : `${token} (token metadata could not be read)`,
    )
  }
  const deadline = (label: string, seconds: bigint) => {
    line(label, seconds === MAX_UINT48 ? 'never' : formatDeadline(seconds))
    if (far(seconds)) {
      if (!risks.includes('far-deadline')) {
        warn(
          'far-deadline',
          `${name} valid for more than a year or forever: ${spender} can use it long after today.`,
        )
      }
    }
  }

  let summary: string
  if (template.standard === 'erc2612') {
    line('standard', 'EIP-2612 permit')
    tokenLine('token', template.token)
    line('owner', template.owner)
    line('spender', spender)
    amount('allowance', template.value, UNLIMITED_UINT256, template.token)
    line('nonce', template.nonce.toString())
    deadline('deadline', template.deadline)
    summary = fitSummary(
      (s) =>
        `Sign a permit: ${s(spender)} may spend ${short(template.value, UNLIMITED_UINT256, template.token)}`,
    )
  } else {
    line('standard', `Permit2 ${template.kind === 'allowance' ? 'allowance' : 'signature transfer'}`)
    line(
      'Permit2 contract',
      template.verifyingContract === null
        ? '(no verifyingContract)'
        : `${template.verifyingContract}${template.verifyingContract === PERMIT2_ADDRESS ? ' (the canonical Permit2)' : ' (NOT the canonical Permit2 address)'}`,
    )
    line('spender', spender)
    if (template.kind === 'allowance') {
      template.details.forEach((d, i) => {
        const n = template.details.length > 1 ? ` ${i + 1}` : ''
        tokenLine(`token${n}`, d.token)
        amount(`allowance${n}`, d.amount, UNLIMITED_UINT160, d.token)
        deadline(`allowance${n} expires`, d.expiration)
        line(`nonce${n}`, d.nonce.toString())
      })
      deadline('signature valid until', template.sigDeadline)
      const first = template.details[0]
      summary = fitSummary((s) =>
        template.details.length === 1 && first
          ? `Sign Permit2: ${s(spender)} may spend ${short(first.amount, UNLIMITED_UINT160, first.token)}`
          : `Sign Permit2: ${s(spender)} may spend ${template.details.length} tokens`,
      )
    } else {
      template.permitted.forEach((p, i) => {
        const n = template.permitted.length > 1 ? ` ${i + 1}` : ''
        tokenLine(`token${n}`, p.token)
        amount(`amount${n}`, p.amount, UNLIMITED_UINT256, p.token)
      })
      line('nonce', template.nonce.toString())
      deadline('deadline', template.deadline)
      if (template.witness) line('witness', 'extra data is signed too (see the message)')
      const first = template.permitted[0]
      summary = fitSummary((s) =>
        template.permitted.length === 1 && first
          ? `Sign Permit2 transfer: ${s(spender)} may take ${short(first.amount, UNLIMITED_UINT256, first.token)}`
          : `Sign Permit2 transfer: ${s(spender)} may take ${template.permitted.length} tokens`,
      )
    }
  }
  if (context.spenderHasCode === false) {
    warn(
      'spender-without-code',
      `The spender ${spender} is not a contract (it has no code): permits normally go to contracts (an exchange, a router); a permit for a plain account is a common phishing pattern.`,
    )
  }
  if (!risks.includes('unlimited-allowance') && !risks.includes('far-deadline')) {
    warnings.unshift({
      level: 'warning',
      message: `${name}: signing lets ${spender} move your tokens without another prompt.`,
    })
  }
  return { template, summary, display, warnings, risks }
}

/** Every token whose metadata the description needs. */
export function permitTokens(template: PermitTemplate): Address[] {
  if (template.standard === 'erc2612') return [template.token]
  return template.kind === 'allowance'
    ? template.details.map((d) => d.token)
    : template.permitted.map((p) => p.token)
}

function shapeIs(fields: readonly Field[], expected: Readonly<Record<string, string>>): boolean {
  const names = Object.keys(expected)
  return (
    fields.length === names.length &&
    fields.every((f) => Object.hasOwn(expected, f.name) && expected[f.name] === f.type)
  )
}

function arrayOf(type: string): string | null {
  return type.endsWith('[]') ? type.slice(0, -2) : null
}

const address = (value: unknown): Address => getAddress(String(value))
