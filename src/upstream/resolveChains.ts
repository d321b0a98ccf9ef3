import type { Logger } from 'pino'
import type { ChainConfig } from '../config/schema.js'
import { UpstreamUnavailableError } from '../errors/startup.js'
import { knownChainName } from './knownChainName.js'
import { probeChainId } from './probeChainId.js'
import { redactUrl } from './redactUrl.js'
import type { Upstream } from './types.js'

export type ResolveChainsInput = {
  /** `chains` of the configuration. */
  configured: readonly ChainConfig[]
  /** Dev mode: the dev Anvil's chain (it replaces a configured chain with its id). */
  dev: ChainConfig | null
  /** `--upstream` URLs: each one's chain id is asked for; it is that chain's first URL. */
  upstreamUrls: readonly string[]
  /** Chains added with wallet_addEthereumChain (configured ones win). */
  added: readonly ChainConfig[]
  /** `defaultChainId` of the configuration; null: the dev chain in dev mode, else the first. */
  defaultChainId: number | null
  connectTimeoutMs: number
  log: Logger
  probe?: (url: string, timeoutMs: number) => Promise<number>
}

/**
 * The chain registry's content at start: the dev chain, the configured chains, then the
 * `--upstream` URLs (their chain id asked for), then the chains added at runtime earlier; and the
 * chain a new origin starts on. Clear errors for no chain at all, or a default chain that is not
 * among them (`WALLETD_ERR_UPSTREAM_UNAVAILABLE`).
 */
export async function resolveChains(input: ResolveChainsInput): Promise<{
  chains: ChainConfig[]
  defaultChainId: number
}> {
  const probe = input.probe ?? probeChainId
  const chains: ChainConfig[] = [...input.configured]
  if (input.dev) upsertChain(chains, input.dev)
  for (const url of input.upstreamUrls) {
    const chainId = await probe(url, input.connectTimeoutMs)
    const known = chains.find((c) => c.chainId === chainId)
    upsertChain(chains, {
      chainId,
      name: known?.name ?? knownChainName(chainId),
      rpcUrls: [url, ...(known?.rpcUrls ?? []).filter((u) => u !== url)],
      nativeCurrency: known?.nativeCurrency ?? { name: 'Ether', symbol: 'ETH', decimals: 18 },
      blockExplorerUrls: known?.blockExplorerUrls ?? [],
    })
    input.log.info({ chainId, url: redactUrl(url) }, 'upstream added')
  }
  if (chains.length === 0) {
    throw new UpstreamUnavailableError(
      'No chain is configured: pass --dev, or --upstream URL, or add "chains" to the config file.',
    )
  }
  for (const chain of input.added) {
    if (!chains.some((c) => c.chainId === chain.chainId)) chains.push(chain)
  }
  const defaultChainId = input.defaultChainId ?? input.dev?.chainId ?? chains[0]!.chainId
  if (!chains.some((c) => c.chainId === defaultChainId)) {
    throw new UpstreamUnavailableError(`defaultChainId ${defaultChainId} is not among the configured chains.`)
  }
  return { chains, defaultChainId }
}

/**
 * Asks every upstream for its chain id once it is reachable: one that answers another id than it
 * is configured as stops the start (`WALLETD_ERR_UPSTREAM_UNAVAILABLE`); one that is not reachable
 * yet is logged and retried by its transport.
 */
export async function checkUpstreamChains(upstreams: readonly Upstream[], log: Logger): Promise<void> {
  await Promise.all(
    upstreams.map(async (u) => {
      try {
        await u.ready()
        const answered = Number.parseInt(String(await u.request('eth_chainId', [])), 16)
        if (answered !== u.chainId) {
          throw new UpstreamUnavailableError(
            `The upstream ${redactUrl(u.url)} is chain ${answered}, but it is configured as chain ${u.chainId}.`,
          )
        }
      } catch (err) {
        if (err instanceof UpstreamUnavailableError) throw err
        log.warn(
          { chainId: u.chainId, url: redactUrl(u.url), err: { message: (err as Error).message } },
          'upstream not reachable yet; it will be retried',
        )
      }
    }),
  )
}

function upsertChain(chains: ChainConfig[], chain: ChainConfig) {
  const i = chains.findIndex((c) => c.chainId === chain.chainId)
  if (i === -1) chains.push(chain)
  else chains[i] = chain
}
