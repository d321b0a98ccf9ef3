import type { DecodedCallFacts } from '../../approval/types.js'
import type { DecodedCall } from './decodeCall.js'
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
