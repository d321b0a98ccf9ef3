import type { Address, Hex } from 'viem'
import type { ApprovalWarning } from '../../approval/types.js'

/** A filled transaction as it will be signed (the nonce may still be open: it is taken at send). */
export type CheckedTransaction = {
  from: Address
  /** null: contract creation. */
  to: Address | null
  value: bigint
  data: Hex
  gas: bigint
  chainId: number
  gasPrice?: bigint | undefined
  maxFeePerGas?: bigint | undefined
  maxPriorityFeePerGas?: bigint | undefined
}

export type CheckTransactionInput = {
  tx: CheckedTransaction
  /** What the dApp sent, before filling. */
  requested: {
    data?: Hex | undefined
    input?: Hex | undefined
    chainId?: number | undefined
    nonce?: number | undefined
  }
  activeChainId: number
  /** eth_estimateGas; null when the estimate failed. */
  estimatedGas: bigint | null
  /**
   * Why the estimate failed, for people: the decoded revert reason (`Reverter: always fails`,
   * `panic 0x12: division or modulo by zero`) or the node's words. Absent when it did not fail.
   */
  estimateFailure?: { reverted: boolean; reason: string } | undefined
  /** eth_getTransactionCount(from, 'pending'). */
  pendingNonce: number
  /** Balance of `from`. */
  balance: bigint
}

export type CheckTransactionOptions = {
  /** Most a transaction may cost in fees (gas × max fee per gas) before a warning. Default 0.1 ether. */
  maxFeeWei?: bigint
  /** A gas limit above `gasFactor` × the estimate is flagged. Default 3. */
  gasFactor?: number
}

export const DEFAULT_MAX_FEE_WEI = 10n ** 17n

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'

/**
 * The Clef checks, for the approval prompt: `critical` warnings block the request without asking,
 * `warning`s are shown to the approver. Pure: every input is passed in.
 */
export function checkTransaction(
  input: CheckTransactionInput,
  options: CheckTransactionOptions = {},
): ApprovalWarning[] {
  const { tx, requested, activeChainId } = input
  const maxFeeWei = options.maxFeeWei ?? DEFAULT_MAX_FEE_WEI
  const gasFactor = options.gasFactor ?? 3
  const warnings: ApprovalWarning[] = []
  const critical = (message: string) => warnings.push({ level: 'critical', message })
  const warning = (message: string) => warnings.push({ level: 'warning', message })

  if (
    tx.chainId !== activeChainId ||
    (requested.chainId !== undefined && requested.chainId !== activeChainId)
  ) {
    critical(
      `The transaction is for chain ${requested.chainId ?? tx.chainId}, but the active chain is ${activeChainId}: it could be replayed or land somewhere unexpected.`,
    )
  }
  if (
    requested.data !== undefined &&
    requested.input !== undefined &&
    requested.data.toLowerCase() !== requested.input.toLowerCase()
  ) {
    critical(
      'The transaction has both "data" and "input" and they differ: what you see may not be what is signed.',
    )
  }
  const dataBytes = (tx.data.length - 2) / 2
  if (tx.to === null) {
    if (dataBytes === 0) {
      if (tx.value > 0n)
        critical(
          'This creates a contract with empty code and sends it ether: the ether would be lost for good.',
        )
      else
        critical(
          'This creates a contract with empty code (no data): probably a mistake, such as a missing "to".',
        )
    } else if (dataBytes < 40) {
      warning(`This creates a contract, but the code is suspiciously small (${dataBytes} bytes).`)
    }
  } else if (tx.to.toLowerCase() === ZERO_ADDRESS) {
    critical('The recipient is the zero address (0x0000…0000): anything sent there is burnt.')
  }

  if (input.estimatedGas === null) {
    const failure = input.estimateFailure
    warning(
      failure?.reverted
        ? `This transaction will likely FAIL: simulating it reverted with "${failure.reason}". A failed transaction still costs fees.`
        : `The gas could not be estimated${failure ? ` (the node said: ${failure.reason})` : ''}: the transaction will probably fail (revert) and still cost fees.`,
    )
  } else if (
    input.estimatedGas > 0n &&
    tx.gas * 100n > input.estimatedGas * BigInt(Math.round(gasFactor * 100))
  ) {
    warning(
      `The gas limit ${tx.gas} is far above the estimate ${input.estimatedGas} (more than ${gasFactor}×).`,
    )
  }

  const feePerGas = tx.maxFeePerGas ?? tx.gasPrice ?? 0n
  const maxFee = tx.gas * feePerGas
  if (maxFee > maxFeeWei) {
    warning(
      `The fee could reach ${formatEth(maxFee)} ETH (gas ${tx.gas} × ${feePerGas} wei), above the cap of ${formatEth(maxFeeWei)} ETH.`,
    )
  }

  if (requested.nonce !== undefined) {
    if (requested.nonce > input.pendingNonce) {
      warning(
        `The nonce ${requested.nonce} leaves a gap (the next nonce is ${input.pendingNonce}): the transaction stays stuck until the gap is filled.`,
      )
    } else if (requested.nonce < input.pendingNonce) {
      warning(
        `The nonce ${requested.nonce} is already used or pending (the next nonce is ${input.pendingNonce}): this replaces or conflicts with an earlier transaction.`,
      )
    }
  }

  if (tx.value + maxFee > input.balance) {
    warning(
      `Insufficient balance: ${formatEth(tx.value + maxFee)} ETH needed for value plus maximum fee, the account has ${formatEth(input.balance)} ETH.`,
    )
  }

  // Token approvals (unlimited amounts, approvals for all) are decoded and flagged with the call
  // (src/rpc/decode/decodeCall.ts), which reads the token's metadata from the chain.
  return warnings
}

/** Wei → ether as a decimal string (exact, trailing zeros trimmed). */
export function formatEth(wei: bigint): string {
  const negative = wei < 0n
  const abs = negative ? -wei : wei
  const whole = abs / 10n ** 18n
  const fraction = (abs % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}
