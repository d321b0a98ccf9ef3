import { InternalError } from '../errors/rpc.js'
import type { Middleware, ResolvedContext } from './types.js'

/**
 * Runs middleware in order. Each step returns a result, throws an RpcError, or returns `next()`.
 * Calling `next()` twice, or falling off the end, is an internal error (MetaMask v2 / hono shape).
 */
export function compose(steps: readonly Middleware[]): (ctx: ResolvedContext) => Promise<unknown> {
  return function run(ctx) {
    let index = -1
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= index) return Promise.reject(new InternalError({ details: 'next() called multiple times' }))
      index = i
      const step = steps[i]
      if (!step) return Promise.reject(new InternalError({ details: 'Nothing ended the request' }))
      try {
        return step(ctx, () => dispatch(i + 1))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return dispatch(0)
  }
}
