import { InvalidParamsError } from '../../errors/rpc.js'
import { zNoParams } from '../schemas/primitives.js'
import type { ResolvedContext, Step } from '../types.js'

const NO_PARAMS: readonly unknown[] = Object.freeze([])

/**
 * Parses the params with the method's zod schema (normalising them); issues → one -32602. A method
 * that takes no params (`zNoParams`) is checked without zod when the params are absent or `[]`
 * (what zod would return: `[]`); anything else goes through zod, for its message.
 */
export function createValidateParamsStep(): Step {
  return {
    name: 'validateParams',
    plan(method) {
      const schema = method.params
      const parse = (ctx: ResolvedContext) => {
        const result = schema.safeParse(ctx.request.params === undefined ? [] : ctx.request.params)
        if (!result.success) {
          const issues = result.error.issues
            .slice(0, 3)
            .map((i) => (i.path.length ? `params.${i.path.join('.')}: ${i.message}` : `params: ${i.message}`))
          throw new InvalidParamsError({
            message: `Invalid parameters for ${method.method}: ${issues.join('; ')}`,
          })
        }
        ctx.params = result.data
      }
      if (schema !== zNoParams) return { check: parse }
      return {
        check(ctx) {
          const raw = ctx.request.params
          if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) ctx.params = NO_PARAMS
          else parse(ctx)
        },
      }
    },
  }
}
