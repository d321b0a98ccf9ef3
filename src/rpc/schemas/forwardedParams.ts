import { z } from 'zod'
import { zBlockTag, zHash32, zLogFilter } from './logFilter.js'
import { zNoParams } from './primitives.js'

/**
 * Params of the forwarded read methods. Nothing reaches an upstream node unless its params parse
 * here: shapes, hex forms and sizes are bounded (geth's own limits are the guide, tighter where a
 * wallet never needs more), so a request that would make a node work without bound, or crash it
 * (Anvil 1.7.1 aborts on `eth_feeHistory` with a block count of 2^64), is -32602 before it is sent.
 * The schemas validate without transforming (except an address's EIP-55 checksum and dropping
 * unknown keys of call objects): what is forwarded is what the client sent.
 */
export const FORWARD_LIMITS = {
  /** geth: `eth_feeHistory` serves at most 1024 blocks (`MaxBlockHistory`). */
  feeHistoryMaxBlocks: 1024,
  /** geth: at most 100 reward percentiles (`maxQueryLimit`), each 0–100, ascending. */
  feeHistoryMaxPercentiles: 100,
  /** Call data, init code, `web3_sha3` input: 512 KiB (as `eth_sendTransaction`'s data). */
  maxDataBytes: 512 * 1024,
  /** A signed transaction for `eth_sendRawTransaction` (blob transactions with sidecars included). */
  maxRawTransactionBytes: 1024 * 1024,
  /** geth: `eth_getProof` takes at most 1024 storage keys (`maxGetStorageSlots`). */
  maxProofKeys: 1024,
  /** Access-list entries and their storage keys (each). */
  maxAccessList: 1000,
  /** Accounts in an `eth_call` / `eth_estimateGas` state override, and slots per account. */
  maxStateOverrideAccounts: 256,
  maxStateOverrideSlots: 1024,
  /** Blob versioned hashes and blobs of a call object; EIP-7702 authorizations. */
  maxBlobs: 16,
  maxAuthorizations: 64,
  /** Withdrawals in a block override. */
  maxWithdrawals: 16,
} as const

const L = FORWARD_LIMITS

const hexDigits = (max: number, what: string) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{1,${max}}$`), `expected ${what}`)

/** A uint64 quantity as a node reads it: 0x-hex without leading zeros, at most 16 digits. */
const zUint64 = z
  .string()
  .regex(
    /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/,
    'expected a hex quantity of at most 64 bits (no leading zeros)',
  )

/** A quantity field of a call object: 0x-hex (leading zeros tolerated, as wallets send them), ≤ 256 bits. */
const zQty256 = hexDigits(64, 'a 0x-prefixed hex quantity of at most 256 bits')
/** A gas amount, nonce or chain id of a call object: 0x-hex, ≤ 64 bits. */
const zQty64 = hexDigits(16, 'a 0x-prefixed hex quantity of at most 64 bits')

/** 0x + whole bytes, at most `maxBytes`. */
const zBytes = (maxBytes: number) =>
  z
    .string()
    .max(2 + 2 * maxBytes, `expected at most ${maxBytes} bytes`)
    .regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes (even length)')

/** An address (checked, not checksum-normalised: forwarded as sent). */
const zAddressString = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address (0x + 40 hex digits)')

/** A 32-byte storage slot; a node also takes shorter hex (geth's `decodeHash`), so up to 64 digits. */
const zSlot = hexDigits(64, 'a storage slot (0x + at most 64 hex digits)')

/** EIP-1898: a block tag or number, a block hash, or `{ blockHash, requireCanonical? }` / `{ blockNumber }`. */
export const zBlockRef = z.union(
  [
    zBlockTag,
    zHash32,
    z.object({ blockHash: zHash32, requireCanonical: z.boolean().optional() }).strict(),
    z.object({ blockNumber: zBlockTag }).strict(),
  ],
  {
    error:
      'expected a block tag, a hex block number of at most 64 bits, a block hash, or { blockHash } / { blockNumber }',
  },
)

const zAccessList = z
  .array(z.object({ address: zAddressString, storageKeys: z.array(zSlot).max(L.maxAccessList) }).strict())
  .max(L.maxAccessList)

const zAuthorization = z
  .object({
    chainId: zQty64,
    address: zAddressString,
    nonce: zQty64,
    yParity: zQty64.optional(),
    v: zQty64.optional(),
    r: zQty256,
    s: zQty256,
  })
  .strict()

/**
 * The call object of `eth_call`, `eth_estimateGas`, `eth_createAccessList` (geth's
 * `TransactionArgs`). Unknown keys are dropped, as a node ignores them; known ones are checked.
 */
export const zCallObject = z.object({
  from: zAddressString.optional(),
  to: z.union([zAddressString, z.null()], { error: 'expected an address or null' }).optional(),
  gas: zQty64.optional(),
  gasPrice: zQty256.optional(),
  maxFeePerGas: zQty256.optional(),
  maxPriorityFeePerGas: zQty256.optional(),
  maxFeePerBlobGas: zQty256.optional(),
  value: zQty256.optional(),
  nonce: zQty64.optional(),
  data: zBytes(L.maxDataBytes).optional(),
  input: zBytes(L.maxDataBytes).optional(),
  accessList: zAccessList.optional(),
  chainId: zQty64.optional(),
  type: z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,2}$/, 'expected a 0x-prefixed hex transaction type')
    .optional(),
  blobVersionedHashes: z.array(zHash32).max(L.maxBlobs).optional(),
  blobs: z.array(zBytes(131072)).max(L.maxBlobs).optional(),
  authorizationList: z.array(zAuthorization).max(L.maxAuthorizations).optional(),
})

/** A record with at most `max` entries. */
const boundedRecord = <V extends z.ZodType>(key: z.ZodType<string>, value: V, max: number, what: string) =>
  z.record(key, value).refine((r) => Object.keys(r).length <= max, `expected at most ${max} ${what}`)

const zSlotMap = boundedRecord(zSlot, zHash32, L.maxStateOverrideSlots, 'storage slots')

/** geth's `StateOverride`: address → balance, nonce, code, state or stateDiff. */
export const zStateOverride = boundedRecord(
  zAddressString,
  z
    .object({
      balance: zQty256.optional(),
      nonce: zQty64.optional(),
      code: zBytes(L.maxDataBytes).optional(),
      state: zSlotMap.optional(),
      stateDiff: zSlotMap.optional(),
      movePrecompileToAddress: zAddressString.optional(),
    })
    .strict(),
  L.maxStateOverrideAccounts,
  'accounts',
)

/** geth's `BlockOverrides` (current and older field names). */
export const zBlockOverrides = z
  .object({
    number: zQty64.optional(),
    difficulty: zQty256.optional(),
    time: zQty64.optional(),
    gasLimit: zQty64.optional(),
    feeRecipient: zAddressString.optional(),
    coinbase: zAddressString.optional(),
    prevRandao: zHash32.optional(),
    random: zHash32.optional(),
    baseFeePerGas: zQty256.optional(),
    baseFee: zQty256.optional(),
    blobBaseFee: zQty256.optional(),
    beaconRoot: zHash32.optional(),
    withdrawals: z
      .array(
        z.object({ index: zQty64, validatorIndex: zQty64, address: zAddressString, amount: zQty64 }).strict(),
      )
      .max(L.maxWithdrawals)
      .optional(),
  })
  .strict()

/** `eth_feeHistory` block count: a hex quantity or a JSON integer, 0–1024 (geth also reads decimals). */
const zFeeHistoryBlockCount = z
  .union([z.string().max(80), z.number()], { error: 'expected a block count (hex quantity or integer)' })
  .refine((v) => {
    const n =
      typeof v === 'number'
        ? v
        : /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v)
          ? Number.parseInt(v, 16)
          : Number.NaN
    return Number.isInteger(n) && n >= 0 && n <= L.feeHistoryMaxBlocks
  }, `block count must be an integer 0–${L.feeHistoryMaxBlocks} (a hex quantity without leading zeros, or a number)`)

/** Reward percentiles: at most 100, each 0–100, in ascending order (geth's rules). */
const zPercentiles = z
  .array(z.number().min(0, 'a percentile is 0–100').max(100, 'a percentile is 0–100'))
  .max(L.feeHistoryMaxPercentiles, `expected at most ${L.feeHistoryMaxPercentiles} percentiles`)
  .refine((ps) => ps.every((p, i) => i === 0 || ps[i - 1]! <= p), 'percentiles must be in ascending order')

const none = zNoParams
const zIndex = zUint64

/** Every forwarded method and its params; a method not here is never forwarded. */
export const FORWARDED_PARAMS = {
  eth_blockNumber: none,
  eth_getBlockByHash: z.tuple([zHash32, z.boolean()]),
  eth_getBlockByNumber: z.tuple([zBlockTag, z.boolean()]),
  eth_getBlockTransactionCountByHash: z.tuple([zHash32]),
  eth_getBlockTransactionCountByNumber: z.tuple([zBlockTag]),
  eth_getBlockReceipts: z.tuple([zBlockRef]),
  eth_call: z.tuple([
    zCallObject,
    zBlockRef.optional(),
    zStateOverride.optional(),
    zBlockOverrides.optional(),
  ]),
  eth_estimateGas: z.tuple([zCallObject, zBlockRef.optional(), zStateOverride.optional()]),
  eth_createAccessList: z.tuple([zCallObject, zBlockRef.optional()]),
  eth_feeHistory: z.tuple([zFeeHistoryBlockCount, zBlockTag, zPercentiles.optional()]),
  eth_gasPrice: none,
  eth_maxPriorityFeePerGas: none,
  eth_blobBaseFee: none,
  eth_getBalance: z.tuple([zAddressString, zBlockRef.optional()]),
  eth_getCode: z.tuple([zAddressString, zBlockRef.optional()]),
  eth_getProof: z.tuple([
    zAddressString,
    z.array(zSlot).max(L.maxProofKeys, `expected at most ${L.maxProofKeys} storage keys`),
    zBlockRef.optional(),
  ]),
  eth_getStorageAt: z.tuple([zAddressString, zSlot, zBlockRef.optional()]),
  eth_getTransactionCount: z.tuple([zAddressString, zBlockRef.optional()]),
  eth_getTransactionByBlockHashAndIndex: z.tuple([zHash32, zIndex]),
  eth_getTransactionByBlockNumberAndIndex: z.tuple([zBlockTag, zIndex]),
  eth_getTransactionByHash: z.tuple([zHash32]),
  eth_getTransactionReceipt: z.tuple([zHash32]),
  eth_sendRawTransaction: z.tuple([
    zBytes(L.maxRawTransactionBytes).refine((h) => h.length > 2, 'expected a signed transaction'),
  ]),
  eth_getLogs: z.tuple([zLogFilter]),
  eth_getUncleByBlockHashAndIndex: z.tuple([zHash32, zIndex]),
  eth_getUncleByBlockNumberAndIndex: z.tuple([zBlockTag, zIndex]),
  eth_getUncleCountByBlockHash: z.tuple([zHash32]),
  eth_getUncleCountByBlockNumber: z.tuple([zBlockTag]),
  eth_syncing: none,
  eth_protocolVersion: none,
  net_listening: none,
  net_peerCount: none,
  web3_clientVersion: none,
  web3_sha3: z.tuple([zBytes(L.maxDataBytes)]),
} as const satisfies Record<string, z.ZodType>

export type ForwardedMethod = keyof typeof FORWARDED_PARAMS
