import { UnauthorizedError } from '../../errors/rpc.js'
import type { Middleware } from '../types.js'

/**
 * Methods that need the `eth_accounts` permission require a grant for the origin, and every
 * account the request acts for must be one the origin was given (4100 otherwise).
 */
export function createAuthorizeMiddleware(): Middleware {
  return async function authorize(ctx, next) {
    const method = ctx.method
    if (method.permission === 'none') return next()
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
    return next()
  }
}
