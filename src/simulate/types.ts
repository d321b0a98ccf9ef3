import type { Address, Hex } from 'viem'
import type { TokenStandard } from '../approval/types.js'

/** One call to simulate, as it will be sent (from the sender given beside it). */
export type SimulationCall = {
  /** null: contract creation. */
  readonly to: Address | null
  readonly value: bigint
  readonly data: Hex
  /** The gas limit the dApp chose; left to the node when absent. */
  readonly gas?: bigint | undefined
}

/** A log as nodes answer it (only what the simulation reads). */
export type RawLog = { readonly address: Address; readonly topics: readonly Hex[]; readonly data: Hex }

/** Native currency moved by a call (a value transfer, traced). */
export type NativeTransfer = { readonly from: Address; readonly to: Address; readonly value: bigint }

/** What one simulation method observed, before it is summed up for the sender. */
export type RawOutcome = {
  readonly by: 'eth_simulateV1' | 'debug_traceCall' | 'eth_call'
  /** Whether transfers, logs and creations were observed (not for eth_call). */
  readonly changesKnown: boolean
  readonly calls: readonly {
    readonly status: 'success' | 'reverted'
    readonly gasUsed: bigint | null
    /** The revert data of a reverted call ('0x' when it gave none). */
    readonly revertData: Hex | null
  }[]
  /** Logs of the calls that succeeded (logs of reverted calls never happened). */
  readonly logs: readonly RawLog[]
  readonly nativeTransfers: readonly NativeTransfer[]
  readonly contractsCreated: readonly Address[]
  /** What this method could not see, in words. */
  readonly notes: readonly string[]
}

/** An asset movement found in the logs. */
export type AssetMovement = {
  readonly token: Address
  readonly standard: TokenStandard
  readonly tokenId: bigint | null
  readonly from: Address
  readonly to: Address
  readonly amount: bigint
}

/** An Approval / ApprovalForAll (or Permit2 Approval) log. */
export type ApprovalLog = {
  readonly standard: TokenStandard | 'permit2'
  readonly token: Address
  readonly owner: Address
  readonly spender: Address
  /** ERC-20 / Permit2 amount; null for an NFT approval. */
  readonly amount: bigint | null
  readonly tokenId: bigint | null
  readonly forAll: boolean
  /** false: a revocation (amount 0, the zero address approved, or ApprovalForAll false). */
  readonly grants: boolean
  /** Permit2's expiration (unix seconds). */
  readonly expiration: bigint | null
}
