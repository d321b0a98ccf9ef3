import { UnauthorizedError } from '../errors/rpc.js'
import type { Services } from '../services.js'
import type { Session } from '../session/types.js'

/** EIP-2255 permission objects for a session (MetaMask's shape). */
export function permissionsOf(session: Session | undefined) {
  if (!session || session.grantedAt === null) return []
  return [
    {
      id: `${session.origin}#eth_accounts`,
      parentCapability: 'eth_accounts',
      invoker: session.origin,
      date: session.grantedAt,
      caveats: [{ type: 'restrictReturnedAccounts', value: session.accounts.map((a) => a.toLowerCase()) }],
    },
  ]
}

/** The accounts a connect request would expose: the signer's unlocked accounts. */
export function connectableAccounts(services: Services) {
  const accounts = services.signer?.accounts() ?? []
  if (accounts.length === 0)
    throw new UnauthorizedError({ message: 'walletd has no unlocked account to connect.' })
  return [...accounts]
}
