import { InvalidParamsError } from '../../errors/rpc.js'
import type { Middleware } from '../types.js'

/** Parses the params with the method's zod schema (normalising them); issues → one -32602. */
export function createValidateParamsMiddleware(): Middleware {
  return async function validateParams(ctx, next) {
    const method = ctx.method
    const result = method.params.safeParse(ctx.request.params === undefined ? [] : ctx.request.params)
    if (!result.success) {
      const issues = result.error.issues
        .slice(0, 3)
        .map((i) => (i.path.length ? `params.${i.path.join('.')}: ${i.message}` : `params: ${i.message}`))
      throw new InvalidParamsError({
        message: `Invalid parameters for ${method.method}: ${issues.join('; ')}`,
      })
    }
    ctx.params = result.data
    return next()
  }
}
