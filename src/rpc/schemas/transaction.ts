import type { Address, Hex } from 'viem'
import { z } from 'zod'
import { InvalidParamsError } from '../../errors/rpc.js'
import { zAddress } from './primitives.js'

/** A transaction quantity: strict 0x-hex (leading zeros tolerated), at most 256 bits → bigint. */
export const zTxQuantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a 0x-prefixed hex quantity')
  .transform((h) => BigInt(h))

/** A nonce or chain id: strict 0x-hex → safe integer. */
const zTxSmallQuantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,14}$/, 'expected a 0x-prefixed hex quantity')
  .transform((h) => Number.parseInt(h, 16))
  .refine((n) => Number.isSafeInteger(n), 'out of range')

/** Calldata: 0x + whole bytes (at most 512 KiB). */
export const zData = z
  .string()
  .max(2 + 1024 * 1024)
  .regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes (even length)')
  .transform((h) => h.toLowerCase() as Hex)

const zAccessList = z
  .array(
    z
      .object({
        address: zAddress,
        storageKeys: z
          .array(
            z
              .string()
              .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte storage key')
              .transform((h) => h as Hex),
          )
          .max(1000),
      })
      .strict(),
  )
  .max(1000)

/**
 * `eth_sendTransaction` params: `[tx]` (standards 1.7). Formats are checked here (strict hex,
 * addresses, even-length data); the rules between fields are in `checkTransactionRequest`.
 * Unknown keys are dropped; keys that change what would be signed in ways walletd does not
 * support (blobs, authorization lists) are kept so they can be refused.
 */
export const zTransactionRequest = z.object({
  from: zAddress,
  // '0x' and null mean "no recipient" (contract creation), as MetaMask accepts them.
  to: z.union([z.literal('0x'), z.null(), zAddress]).optional(),
  value: zTxQuantity.optional(),
  data: zData.optional(),
  input: zData.optional(),
  gas: zTxQuantity.optional(),
  /** ethers and some dApps say `gasLimit`; accepted as `gas`. */
  gasLimit: zTxQuantity.optional(),
  gasPrice: zTxQuantity.optional(),
  maxFeePerGas: zTxQuantity.optional(),
  maxPriorityFeePerGas: zTxQuantity.optional(),
  nonce: zTxSmallQuantity.optional(),
  type: z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,2}$/, 'expected a 0x-prefixed hex transaction type')
    .optional(),
  chainId: zTxSmallQuantity.optional(),
  accessList: zAccessList.optional(),
  authorizationList: z.unknown().optional(),
  blobVersionedHashes: z.unknown().optional(),
  maxFeePerBlobGas: z.unknown().optional(),
  blobs: z.unknown().optional(),
  sidecars: z.unknown().optional(),
})

export type TransactionRequestParams = z.infer<typeof zTransactionRequest>

export const zSendTransactionParams = z.tuple([zTransactionRequest])

/** The request after the rules between its fields passed. */
export type CheckedTransactionRequest = {
  from: Address
  /** null: contract creation. */
  to: Address | null
  value: bigint
  /** `data` (or `input`): what is signed. */
  data: Hex
  gas?: bigint | undefined
  gasPrice?: bigint | undefined
  maxFeePerGas?: bigint | undefined
  maxPriorityFeePerGas?: bigint | undefined
  nonce?: number | undefined
  /** 'legacy' when a gasPrice was given (type 0 or absent), 'eip2930' for type 1, 'eip1559' for type 2, undefined to choose. */
  type?: 'legacy' | 'eip2930' | 'eip1559' | undefined
  accessList?: { address: Address; storageKeys: Hex[] }[] | undefined
}

const invalid = (message: string) =>
  new InvalidParamsError({ message: `Invalid transaction params: ${message}` })

/**
 * The rules between fields, following MetaMask's `validateTxParams`: refuses EIP-7702 and blob
 * transactions, `data` ≠ `input`, a chain id other than the active one, `gasPrice` mixed with
 * 1559 fees, a type that contradicts the fee fields, a missing `to` without data, and `gas` and
 * `gasLimit` (an alias, as wallets accept it) that differ. -32602.
 */
export function checkTransactionRequest(
  tx: TransactionRequestParams,
  activeChainId: number,
): CheckedTransactionRequest {
  const type = tx.type === undefined ? undefined : Number.parseInt(tx.type, 16)
  if (tx.authorizationList !== undefined || type === 4) {
    throw new InvalidParamsError({ message: 'External EIP-7702 transactions are not supported' })
  }
  if (
    type === 3 ||
    tx.blobVersionedHashes !== undefined ||
    tx.maxFeePerBlobGas !== undefined ||
    tx.blobs !== undefined ||
    tx.sidecars !== undefined
  ) {
    throw invalid('blob (EIP-4844) transactions are not supported.')
  }
  if (type !== undefined && type > 2) throw invalid(`unknown transaction type ${tx.type}.`)
  if (tx.chainId !== undefined && tx.chainId !== activeChainId) {
    throw invalid(`chainId ${tx.chainId} does not match the active chain ${activeChainId}.`)
  }
  if (tx.data !== undefined && tx.input !== undefined && tx.data !== tx.input) {
    throw invalid('"data" and "input" are both set and differ.')
  }
  const data = (tx.data ?? tx.input ?? '0x') as Hex
  const to = tx.to === undefined || tx.to === null || tx.to === '0x' ? null : tx.to
  if (to === null && data === '0x') {
    throw invalid('"to" is missing and there is no data: a contract creation needs code.')
  }
  const has1559 = tx.maxFeePerGas !== undefined || tx.maxPriorityFeePerGas !== undefined
  if (tx.gasPrice !== undefined && has1559) {
    throw invalid('"gasPrice" cannot be mixed with "maxFeePerGas" or "maxPriorityFeePerGas".')
  }
  if ((type === 0 || type === 1) && has1559) {
    throw invalid(`type ${tx.type} cannot have "maxFeePerGas" or "maxPriorityFeePerGas".`)
  }
  if (type === 2 && tx.gasPrice !== undefined) throw invalid('type 0x2 cannot have "gasPrice".')
  if (type === 0 && tx.accessList !== undefined) throw invalid('type 0x0 cannot have an "accessList".')
  if (
    tx.maxFeePerGas !== undefined &&
    tx.maxPriorityFeePerGas !== undefined &&
    tx.maxPriorityFeePerGas > tx.maxFeePerGas
  ) {
    throw invalid('"maxPriorityFeePerGas" is higher than "maxFeePerGas".')
  }
  if (tx.gas !== undefined && tx.gasLimit !== undefined && tx.gas !== tx.gasLimit) {
    throw invalid('"gas" and "gasLimit" are both set and differ.')
  }
  const gas = tx.gas ?? tx.gasLimit
  if (gas !== undefined && (gas < 21_000n || gas > 2n ** 64n - 1n))
    throw invalid(`gas ${gas} is out of range.`)

  let kind: CheckedTransactionRequest['type']
  if (type === 2 || has1559) kind = 'eip1559'
  else if (type === 1) kind = 'eip2930'
  else if (type === 0 || tx.gasPrice !== undefined) kind = tx.accessList !== undefined ? 'eip2930' : 'legacy'

  return {
    from: tx.from,
    to,
    value: tx.value ?? 0n,
    data,
    gas,
    gasPrice: tx.gasPrice,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    nonce: tx.nonce,
    type: kind,
    accessList: tx.accessList,
  }
}
