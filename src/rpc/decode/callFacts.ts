import type { DecodedCallFacts, GrantedApproval } from '../../approval/types.js'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import { type DecodedCall, UNLIMITED_UINT160, UNLIMITED_UINT256 } from './decodeCall.js'
import type { DecodedPermit } from './decodePermit.js'

/** The machine-readable part of a decoded call, for the approval facts (policies read these). */
export function callFacts(decoded: DecodedCall): DecodedCallFacts {
  const risks = decoded.risks
  const base = {
    standard: decoded.standard ?? 'unknown',
    name: decoded.function ?? 'unknown',
    unlimited: risks.includes('unlimited-allowance') || risks.includes('approval-for-all'),
  }
  switch (decoded.function) {
    case 'transfer':
      return { ...base, counterparty: decoded.args.to, amount: decoded.args.amount, grantsApproval: false }
    case 'transferFrom':
    case 'safeTransferFrom':
      return {
        ...base,
        counterparty: decoded.args.to,
        amount: 'amount' in decoded.args ? decoded.args.amount : undefined,
        grantsApproval: false,
      }
    case 'safeBatchTransferFrom':
      return { ...base, counterparty: decoded.args.to, grantsApproval: false }
    case 'approve':
      if ('spender' in decoded.args)
        return {
          ...base,
          counterparty: decoded.args.spender,
          amount: decoded.args.amount,
          grantsApproval: true,
        }
      return { ...base, counterparty: decoded.args.to, grantsApproval: true }
    case 'increaseAllowance':
      return {
        ...base,
        counterparty: decoded.args.spender,
        amount: decoded.args.amount,
        grantsApproval: true,
      }
    case 'setApprovalForAll':
      return { ...base, counterparty: decoded.args.operator, grantsApproval: decoded.args.approved }
    case 'permit':
      return { ...base, counterparty: decoded.args.spender, amount: decoded.args.value, grantsApproval: true }
    default:
      return { ...base, grantsApproval: false }
  }
}

/** The machine-readable part of a recognised typed-data permit. */
export function permitFacts(decoded: DecodedPermit): DecodedCallFacts {
  const t = decoded.template
  const amount =
    t.standard === 'erc2612'
      ? t.value
      : t.kind === 'allowance'
        ? t.details.length === 1
          ? t.details[0]!.amount
          : undefined
        : t.permitted.length === 1
          ? t.permitted[0]!.amount
          : undefined
  return {
    standard: t.standard,
    name: t.primaryType,
    counterparty: t.spender,
    amount,
    grantsApproval: true,
    unlimited: decoded.risks.includes('unlimited-allowance'),
  }
}

/**
 * The allowances a recognised permit signature grants, one per token: the token, the spender,
 * the amount (base units), the deadline (EIP-2612 `deadline`; Permit2 allowance `expiration`;
 * Permit2 signature transfer `deadline`), with symbol and decimals when they were read.
 */
export function permitAllowances(
  decoded: DecodedPermit,
  tokens: ReadonlyMap<string, TokenInfo>,
): GrantedApproval[] {
  const t = decoded.template
  const grant = (
    standard: 'erc2612' | 'permit2',
    token: GrantedApproval['token'],
    amount: bigint,
    unlimited: bigint,
    deadline: bigint,
  ): GrantedApproval => {
    const info = tokens.get(token.toLowerCase())
    return {
      standard,
      token,
      spender: t.spender,
      amount,
      tokenId: null,
      forAll: false,
      unlimited: amount >= unlimited,
      deadline,
      symbol: info?.symbol ?? null,
      decimals: info?.decimals ?? null,
    }
  }
  if (t.standard === 'erc2612') return [grant('erc2612', t.token, t.value, UNLIMITED_UINT256, t.deadline)]
  if (t.kind === 'allowance')
    return t.details.map((d) => grant('permit2', d.token, d.amount, UNLIMITED_UINT160, d.expiration))
  return t.permitted.map((p) => grant('permit2', p.token, p.amount, UNLIMITED_UINT256, t.deadline))
}
