import { UnauthorizedError } from '../../errors/rpc.js'
import { isLocked, lockedError } from '../permissions.js'
import type { Services } from '../services.js'
import type { ResolvedContext, Step } from '../types.js'

/**
 * Connect and signing methods (permission `unlocked` or `accounts`) are refused while walletd is
 * locked (4100, `data.reason: "locked"`), before any prompt and whatever the origin was granted.
 * Methods that need the `eth_accounts` permission also require a grant for the origin, and every
 * account the request acts for must be one the origin was given (4100 otherwise). Methods of
 * permission `none` have nothing to check here.
 */
/**
 * The access check of a method of permission `unlocked` or `accounts` (see above). It runs before
 * anything else of the request and again once an approval said yes (requireApproval): a prompt can
 * stay open for minutes, and a grant revoked or a wallet locked meanwhile must not be signed for.
 * `ctx.session` is the origin's live session, so a revoke is seen.
 */
export function checkAccess(services: Pick<Services, 'signer'>, ctx: ResolvedContext): void {
  const method = ctx.method
  if (method.permission === 'none') return
  if (isLocked(services)) throw lockedError()
  if (method.permission === 'unlocked') return
  const session = ctx.session
  if (session.grantedAt === null || session.accounts.length === 0) {
    throw new UnauthorizedError({
      message: `The origin has not been granted access to accounts; call eth_requestAccounts first.`,
    })
  }
  for (const account of method.accounts?.(ctx.params as never) ?? []) {
    const a = account.toLowerCase()
    if (!session.accounts.some((x) => x.toLowerCase() === a)) {
      throw new UnauthorizedError({
        message: `The account ${account} has not been authorized for this origin.`,
      })
    }
  }
}

export function createAuthorizeStep(services: Pick<Services, 'signer'>): Step {
  return {
    name: 'authorize',
    plan: (method) => (method.permission === 'none' ? null : { check: (ctx) => checkAccess(services, ctx) }),
  }
}
