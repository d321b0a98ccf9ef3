import { z } from 'zod'
import type { ApprovalDraft } from '../../approval/types.js'
import type { ChainConfig } from '../../config/schema.js'
import { UnrecognizedChainError } from '../../errors/rpc.js'
import { redactUrl } from '../../upstream/redactUrl.js'
import { fitSummary } from '../decode/fitSummary.js'
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
  audited: true,
  approval: {
    kind: 'chain',
    when: ({ params: [{ chainId }], ctx }) => ctx.session.chainId !== chainId,
    prepare: async ({ params: [{ chainId }], ctx, services }) => {
      const chain = services.chains.get(chainId)
      if (!chain) throw unknownChain(chainId)
      return switchDraft(ctx.session.chainId, chainId, chain)
    },
  },
  handler: async ({ params: [{ chainId }], ctx, services }) => {
    if (!services.chains.has(chainId)) throw unknownChain(chainId)
    services.sessions.setChain(ctx.conn.origin, chainId)
    return null
  },
})

/** The prompt for a switch (also used by wallet_addEthereumChain for a chain walletd knows). */
export function switchDraft(
  fromChainId: number,
  chainId: number,
  chain: ChainConfig,
): ApprovalDraft<undefined> {
  return {
    summary: fitSummary(() => `Switch to ${chain.name} (chain ${chainId})`),
    details: {
      from: `chain ${fromChainId}`,
      chainId,
      name: chain.name,
      rpcUrls: chain.rpcUrls.map(redactUrl),
    },
    facts: { kind: 'chain', chainId: fromChainId, action: 'switch', targetChainId: chainId },
    warnings: [],
    prepared: undefined,
  }
}

function unknownChain(chainId: number) {
  return new UnrecognizedChainError({
    message: `Unrecognized chain ID "0x${chainId.toString(16)}": walletd does not know this chain (add it with wallet_addEthereumChain, or to the "chains" of its configuration).`,
    data: { chainId: `0x${chainId.toString(16)}` },
  })
}
