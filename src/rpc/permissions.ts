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
