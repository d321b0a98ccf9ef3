import { z } from 'zod'
import type { ApprovalDraft, ApprovalWarning } from '../../approval/types.js'
import type { ChainConfig } from '../../config/schema.js'
import { InternalError, InvalidParamsError } from '../../errors/rpc.js'
import { isLoopbackHostname } from '../../session/normalizeOrigin.js'
import { cleanTokenText } from '../../upstream/createTokenInfoCache.js'
import { knownChainName } from '../../upstream/knownChainName.js'
import { probeChainId } from '../../upstream/probeChainId.js'
import { redactUrl } from '../../upstream/redactUrl.js'
import { fitSummary } from '../decode/fitSummary.js'
import { defineMethod } from '../defineMethod.js'
import { zChainIdHex } from '../schemas/primitives.js'
import { switchDraft } from './wallet_switchEthereumChain.js'

/** Most RPC URLs one request may give (each is probed before the prompt). */
export const MAX_RPC_URLS = 4
/** Most chains the person may add (a page could otherwise grow the list without end). */
export const MAX_ADDED_CHAINS = 64

/** RPC URLs: https/wss anywhere; http/ws only on loopback (localhost, 127.0.0.1, [::1]) — MetaMask's rule. */
const zRpcUrl = z
  .string()
  .max(2048)
  .refine(
    isAllowedRpcUrl,
    'expected an https:// or wss:// URL (http:// and ws:// only on localhost, 127.0.0.1 or [::1])',
  )

const zParams = z.tuple([
  z
    .object({
      chainId: zChainIdHex,
      chainName: z
        .string()
        .max(256)
        .transform((s) => cleanTokenText(s, 100))
        .refine((s): s is string => s !== null, 'expected a chain name'),
      rpcUrls: z.array(zRpcUrl).min(1).max(MAX_RPC_URLS),
      nativeCurrency: z
        .object({
          name: z
            .string()
            .max(256)
            .transform((s) => cleanTokenText(s, 64))
            .refine((s): s is string => s !== null, 'expected a currency name'),
          symbol: z
            .string()
            .min(2)
            .max(6)
            .regex(/^[\p{L}\p{N}.$-]+$/u, 'expected 2–6 letters or digits'),
          decimals: z.literal(18, { error: 'nativeCurrency.decimals must be 18' }),
        })
        .strict()
        .optional(),
      blockExplorerUrls: z
        .array(z.url({ protocol: /^https$/, error: 'expected an https:// URL' }).max(2048))
        .max(4)
        .nullable()
        .optional(),
      /** Never fetched (no requests to URLs a page chose), so ignored. */
      iconUrls: z.array(z.string().max(2048)).max(8).nullable().optional(),
    })
    .strict(),
])

type Params = z.infer<typeof zParams>

export type AddEthereumChainOptions = {
  /** Asks a URL for its chain id (default probeChainId); rejects when it does not answer. */
  probe?: (url: string, timeoutMs: number) => Promise<number>
}

/**
 * EIP-3085 `wallet_addEthereumChain`, MetaMask's way: validated params (unknown keys -32602),
 * every RPC URL asked for its chain id before the prompt (a different id is -32602; no answer is
 * -32603 like MetaMask's "Could not fetch chain ID"), then one approval that adds the chain and
 * switches the origin to it (MetaMask offers the switch right after the add; wagmi expects it).
 * The chain joins walletd's registry for every origin and persists (`chains.json`). A chain
 * walletd already knows is not added again: the request is a switch (no prompt when it is
 * already the active chain), and the URLs sent are ignored.
 */
export function createWalletAddEthereumChain(options: AddEthereumChainOptions = {}) {
  const probe = options.probe ?? probeChainId
  return defineMethod({
    method: 'wallet_addEthereumChain',
    params: zParams,
    permission: 'none',
    cost: 'prompt',
    approval: {
      kind: 'chain',
      when: ({ params: [p], ctx, services }) =>
        !services.chains.has(p.chainId) || ctx.session.chainId !== p.chainId,
      prepare: async ({ params: [p], ctx, services }): Promise<ApprovalDraft<ChainConfig | null>> => {
        const known = services.chains.get(p.chainId)
        if (known) {
          const draft = switchDraft(ctx.session.chainId, p.chainId, known)
          return {
            ...draft,
            details: {
              ...draft.details,
              note: 'walletd already knows this chain: its own RPC URLs are used, the ones the site sent are ignored.',
            },
            prepared: null,
          }
        }
        if (services.addedChains.size >= MAX_ADDED_CHAINS) {
          throw new InvalidParamsError({
            message: `walletd already has ${MAX_ADDED_CHAINS} added chains; no more can be added.`,
          })
        }
        await checkRpcUrls(p, probe, services.config.upstream.connectTimeoutMs)
        const chain = toChainConfig(p)
        const hosts = p.rpcUrls.map(redactUrl)
        const warnings: ApprovalWarning[] = []
        const wellKnown = knownChainName(p.chainId)
        if (wellKnown !== `Chain ${p.chainId}`) {
          warnings.push({
            level: 'warning',
            message: `Chain ${p.chainId} is ${wellKnown}: the site supplies the RPC node for it (${hosts[0]}), which will see your requests and could answer false balances or results.`,
          })
        }
        return {
          // The RPC host in full or not at all (the details list every URL's host).
          summary:
            [
              `Add chain ${chain.name} (${p.chainId}) via ${hostOf(p.rpcUrls[0]!)} and switch to it`,
              `Add chain ${chain.name} (${p.chainId}) and switch to it`,
            ].find((line) => line.length < 100) ?? fitSummary(() => `Add chain ${p.chainId} (${chain.name})`),
          details: {
            chainId: p.chainId,
            chainIdHex: `0x${p.chainId.toString(16)}`,
            name: chain.name,
            rpcUrls: hosts,
            nativeCurrency: `${chain.nativeCurrency.name} (${chain.nativeCurrency.symbol}), ${chain.nativeCurrency.decimals} decimals`,
            ...(chain.blockExplorerUrls.length
              ? { blockExplorerUrls: chain.blockExplorerUrls.map(redactUrl) }
              : {}),
            probed: `every RPC URL answered eth_chainId ${p.chainId}`,
            after: 'the chain is added to walletd for every site, and this site is switched to it',
          },
          facts: {
            kind: 'chain',
            chainId: ctx.session.chainId,
            action: 'add',
            targetChainId: p.chainId,
            rpcHost: hosts[0],
          },
          warnings,
          prepared: chain,
        }
      },
    },
    handler: async ({ params: [p], ctx, services, approved }) => {
      if (!services.chains.has(p.chainId)) {
        const chain = approved?.prepared
        if (!chain)
          throw new InternalError({ details: 'wallet_addEthereumChain ran without a prepared chain' })
        services.addedChains.add(chain, ctx.conn.origin)
        services.chains.add(chain)
        services.upstreams.add(chain)
        ctx.log.info({ chainId: chain.chainId, rpcUrls: chain.rpcUrls.map(redactUrl) }, 'chain added')
      }
      services.sessions.setChain(ctx.conn.origin, p.chainId)
      return null
    },
  })
}

/** The method with the real probe. */
export const walletAddEthereumChain = createWalletAddEthereumChain()

/** Every URL must answer eth_chainId with the requested id (EIP-3085), all asked at once. */
async function checkRpcUrls(
  p: Params[0],
  probe: NonNullable<AddEthereumChainOptions['probe']>,
  timeoutMs: number,
) {
  const answers = await Promise.all(
    p.rpcUrls.map((url) =>
      probe(url, timeoutMs).then(
        (chainId) => ({ url, chainId }),
        () => ({ url, chainId: null }),
      ),
    ),
  )
  for (const { url, chainId } of answers) {
    if (chainId === null) {
      throw new InternalError({
        message: `Could not fetch chain ID from ${redactUrl(url)}. Is the RPC URL correct?`,
        data: { rpcUrl: redactUrl(url) },
      })
    }
    if (chainId !== p.chainId) {
      throw new InvalidParamsError({
        message: `Invalid parameters: the RPC URL ${redactUrl(url)} is chain ${chainId} (0x${chainId.toString(16)}), not the requested chain ${p.chainId} (0x${p.chainId.toString(16)}).`,
        data: {
          rpcUrl: redactUrl(url),
          expected: `0x${p.chainId.toString(16)}`,
          answered: `0x${chainId.toString(16)}`,
        },
      })
    }
  }
}

function toChainConfig(p: Params[0]): ChainConfig {
  return {
    chainId: p.chainId,
    name: p.chainName,
    rpcUrls: [...new Set(p.rpcUrls)],
    nativeCurrency: p.nativeCurrency ?? { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: p.blockExplorerUrls ?? [],
  }
}

export function isAllowedRpcUrl(text: string): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  if (url.protocol === 'https:' || url.protocol === 'wss:') return url.hostname !== ''
  if (url.protocol === 'http:' || url.protocol === 'ws:') {
    return isLoopbackHostname(url.hostname) && !url.hostname.endsWith('.localhost')
  }
  return false
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '<invalid url>'
  }
}
