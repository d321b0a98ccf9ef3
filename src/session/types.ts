import type { Address } from 'viem'

export type Session = {
  /** Normalised origin or `token:<name>`. */
  readonly origin: string
  /** Accounts the user exposed to this origin (EIP-2255 `eth_accounts` permission). */
  accounts: Address[]
  /** The origin's active chain. */
  chainId: number
  createdAt: number
  lastUsedAt: number
  /** When the `eth_accounts` permission was granted; null when none. */
  grantedAt: number | null
  /** The accounts of the last grant, kept after a revoke: the default choice when it connects again. */
  lastAccounts?: Address[]
}

export type SessionChange =
  | { kind: 'accountsChanged'; origin: string; accounts: Address[] }
  | { kind: 'chainChanged'; origin: string; chainId: number }
