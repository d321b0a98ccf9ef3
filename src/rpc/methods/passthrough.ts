import type { z } from 'zod'
import { checkLogRange, upstreamHead } from '../checkLogRange.js'
import { defineMethod } from '../defineMethod.js'
import { FORWARDED_PARAMS, type ForwardedMethod } from '../schemas/forwardedParams.js'
import type { MethodDefinition } from '../types.js'
import { upstreamFor } from '../upstreamFor.js'

/**
 * The explicit allowlist of read methods forwarded to the upstream of the origin's chain
 * (MetaMask's unrestricted methods that a node answers, see docs). Nothing else is ever forwarded:
 * no account, signing, dev-node (anvil_/evm_/hardhat_) or admin method. Each has a bounded params
 * schema (`FORWARDED_PARAMS`): malformed or oversized params are -32602 and never reach the node.
 */
export const FORWARDED_METHODS = Object.keys(FORWARDED_PARAMS) as readonly ForwardedMethod[]

function forward(method: ForwardedMethod): MethodDefinition {
  return defineMethod({
    method,
    params: FORWARDED_PARAMS[method] as z.ZodType<readonly unknown[] | undefined>,
    permission: 'none',
    cost: 'read',
    handler: ({ params, ctx, services }) =>
      upstreamFor(services, ctx).request(method, params ?? [], { signal: ctx.signal }),
  })
}

/** `eth_getLogs`: its block range is bounded too (`forwarding.maxLogBlockRange`) before it is sent. */
const ethGetLogs = defineMethod({
  method: 'eth_getLogs',
  params: FORWARDED_PARAMS.eth_getLogs,
  permission: 'none',
  cost: 'read',
  handler: async ({ params, ctx, services }) => {
    const upstream = upstreamFor(services, ctx)
    await checkLogRange(params[0], {
      method: 'eth_getLogs',
      maxBlocks: services.config.forwarding.maxLogBlockRange,
      head: upstreamHead(upstream, ctx.signal),
    })
    return upstream.request('eth_getLogs', params, { signal: ctx.signal })
  },
})

export const forwardedMethods: readonly MethodDefinition[] = FORWARDED_METHODS.map((m) =>
  m === 'eth_getLogs' ? ethGetLogs : forward(m),
)
