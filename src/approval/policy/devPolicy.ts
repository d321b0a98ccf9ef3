import type { Address } from 'viem'
import type { Policy } from './policySchema.js'

/**
 * The built-in policy of `walletd start --dev --policy dev`: approves connect, signatures,
 * transactions and batches on Anvil's chain 31337 only, for Anvil's published dev accounts only; grants them
 * all at connect; never a chain switch, never an allowance. Refused without --dev.
 */
export function devPolicy(devAccounts: readonly Address[]): Policy {
  return {
    version: 1,
    description: 'walletd built-in dev policy: chain 31337, Anvil dev accounts only.',
    rateLimit: { burst: 1000, perSecond: 500 },
    rules: [
      {
        name: 'dev',
        action: 'approve',
        chainIds: [31337],
        kinds: ['connect', 'message', 'typedData', 'transaction', 'calls'],
        accounts: [...devAccounts],
      },
    ],
  }
}
