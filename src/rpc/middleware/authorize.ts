import { UnauthorizedError } from '../../errors/rpc.js'
import { isLocked, lockedError } from '../permissions.js'
import type { Services } from '../services.js'
import type { Step } from '../types.js'

/**
 * Connect and signing methods (permission `unlocked` or `accounts`) are refused while walletd is
 * locked (4100, `data.reason: "locked"`), before any prompt and whatever the origin was granted.
 * Methods that need the `eth_accounts` permission also require a grant for the origin, and every
 * account the request acts for must be one the origin was given (4100 otherwise). Methods of
 * permission `none` have nothing to check here.
 */
export function createAuthorizeStep(services: Pick<Services, 'signer'>): Step {
  return {
    name: 'authorize',
    plan(method) {
      if (method.permission === 'none') return null
      if (method.permission === 'unlocked')
        return {
          check() {
            if (isLocked(services)) throw lockedError()
          },
        }
      return {
        check(ctx) {
          if (isLocked(services)) throw lockedError()
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
        },
      }
    },
  }
}
