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

/**
 * Locked: walletd holds no unlocked account (the keystore unlock is still running, or it failed, or
 * there is no keystore). Granted accounts are then not given out at all.
 */
export function isLocked(services: Pick<Services, 'signer'>): boolean {
  return (services.signer?.accounts().length ?? 0) === 0
}

/** 4100 with `data.reason: "locked"`: a connect or signing request while walletd is locked. */
export function lockedError() {
  return new UnauthorizedError({
    message:
      'walletd is locked: no account is unlocked (the keystore is still being unlocked, or unlocking failed). Try again once it is unlocked.',
    data: { reason: 'locked' },
  })
}

/** The accounts `eth_accounts` shows the origin: its grant, or `[]` before a grant or while locked. */
export function visibleAccounts(services: Services, origin: string) {
  if (isLocked(services)) return []
  return services.sessions.peek(origin)?.accounts ?? []
}

/** The accounts a connect request would expose: the signer's unlocked accounts. */
export function connectableAccounts(services: Services) {
  const accounts = services.signer?.accounts() ?? []
  if (accounts.length === 0)
    throw new UnauthorizedError({ message: 'walletd has no unlocked account to connect.' })
  return [...accounts]
}
