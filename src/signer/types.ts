import type { Address, Hex, TransactionSerializable, TypedDataDefinition } from 'viem'

/**
 * The only holder of private keys. Keys never leave it; callers pass what to sign and get a
 * signature back. Every method checks that the recovered signer equals `address` before returning.
 */
export interface Signer {
  /** Checksummed addresses of the unlocked accounts. */
  accounts(): readonly Address[]
  hasAccount(address: Address): boolean
  signMessage(address: Address, message: { raw: Hex }): Promise<Hex>
  signTypedData(address: Address, typedData: TypedDataDefinition): Promise<Hex>
  signTransaction(address: Address, tx: TransactionSerializable): Promise<Hex>
  /** Zeroes the keys it holds and stops its worker threads; signing afterwards fails. */
  close(): Promise<void>
}
