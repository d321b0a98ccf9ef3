import type { Address } from 'viem'
import type { ApprovalDraft } from '../approval/types.js'
import { UnauthorizedError } from '../errors/rpc.js'
import type { Session } from '../session/types.js'
import type { Services } from './services.js'
import type { ResolvedContext } from './types.js'

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

/** The accounts `eth_accounts` shows the session: its grant, or `[]` before a grant or while locked. */
export function visibleAccounts(services: Pick<Services, 'signer'>, session: Session): readonly Address[] {
  if (isLocked(services)) return []
  return session.accounts
}

/** The accounts a connect request may offer: the signer's unlocked accounts. */
export function connectableAccounts(services: Services): readonly Address[] {
  const accounts = services.signer?.accounts() ?? []
  if (accounts.length === 0)
    throw new UnauthorizedError({ message: 'walletd has no unlocked account to connect.' })
  return [...accounts]
}

/**
 * The connect prompt: the person chooses which accounts the origin sees. The default is the
 * origin's last grant (those of its accounts still unlocked), else the first account. The
 * accounts are listed once, as choices; `prepared` holds the defaults.
 */
export function connectDraft(ctx: ResolvedContext, services: Services): ApprovalDraft<readonly Address[]> {
  const accounts = connectableAccounts(services)
  // Stryker disable next-line ArrayDeclaration: any placeholder matches no unlocked account either
  const last = (ctx.session.lastAccounts ?? []).flatMap(
    (a) => accounts.find((x) => x.toLowerCase() === a.toLowerCase()) ?? [],
  )
  const defaults = last.length > 0 ? last : [accounts[0]!]
  return {
    summary: 'Connect this site to your account(s)',
    details: {
      permission: 'eth_accounts: see the chosen addresses and ask for signatures',
    },
    facts: { kind: 'connect', chainId: ctx.session.chainId, accounts },
    warnings: [],
    prepared: defaults,
    choices: { accounts, defaults },
  }
}
