import { z } from 'zod'
import { UnrecognizedChainError } from '../../errors/rpc.js'
import { redactUrl } from '../../upstream/redactUrl.js'
import { defineMethod } from '../defineMethod.js'
import { zChainIdHex } from '../schemas/primitives.js'

/**
 * Switches the origin's active chain after approval (no prompt when it is already active).
 * 4902 for a chain walletd does not know. `chainChanged` goes to every connection of the origin.
 */
export const walletSwitchEthereumChain = defineMethod({
  method: 'wallet_switchEthereumChain',
  params: z.tuple([z.object({ chainId: zChainIdHex }).strict()]),
  permission: 'none',
  cost: 'prompt',
  approval: {
    kind: 'chain',
    when: ({ params: [{ chainId }], ctx }) => ctx.session.chainId !== chainId,
    prepare: async ({ params: [{ chainId }], ctx, services }) => {
      const chain = services.chains.get(chainId)
      if (!chain) throw unknownChain(chainId)
      return {
        summary: `Switch to ${chain.name.slice(0, 60)} (chain ${chainId})`,
        details: {
          from: `chain ${ctx.session.chainId}`,
          to: `${chain.name} (chain ${chainId})`,
          rpcUrls: chain.rpcUrls.map(redactUrl),
        },
        facts: { kind: 'chain', chainId: ctx.session.chainId, action: 'switch', targetChainId: chainId },
        warnings: [],
        prepared: undefined,
      }
    },
  },
  handler: async ({ params: [{ chainId }], ctx, services }) => {
    if (!services.chains.has(chainId)) throw unknownChain(chainId)
    services.sessions.setChain(ctx.conn.origin, chainId)
    return null
  },
})

function unknownChain(chainId: number) {
  return new UnrecognizedChainError({
    message: `Unrecognized chain ID "0x${chainId.toString(16)}": walletd does not know this chain (add it to the "chains" of its configuration).`,
    data: { chainId: `0x${chainId.toString(16)}` },
  })
}
