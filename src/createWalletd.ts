import type { Logger } from 'pino'
import { mnemonicToAccount } from 'viem/accounts'
import { createApprovalBroker } from './approval/createApprovalBroker.js'
import { createPolicyApprover } from './approval/policy/createPolicyApprover.js'
import { resolvePolicy } from './approval/policy/loadPolicy.js'
import type { Approver } from './approval/types.js'
import { createWatchedAssetStore } from './assets/createWatchedAssetStore.js'
import { resolvePaths, type WalletdPaths } from './config/paths.js'
import type { ChainConfig, Config } from './config/schema.js'
import { ANVIL_CHAIN_ID, ANVIL_MNEMONIC, type AnvilInstance, startAnvil } from './dev/startAnvil.js'
import { UpstreamUnavailableError } from './errors/startup.js'
import { createLogger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createRequestLimiter } from './ratelimit/createRequestLimiter.js'
import { createCallBatchStore } from './rpc/calls/createCallBatchStore.js'
import { createMessageHandler } from './rpc/createMessageHandler.js'
import { createRpcPipeline } from './rpc/createRpcPipeline.js'
import { createMethodTable } from './rpc/methods/index.js'
import type { Services } from './rpc/services.js'
import { createConnectionRegistry } from './server/createConnectionRegistry.js'
import { createServer } from './server/createServer.js'
import { createTokenStore, type TokenStore } from './server/createTokenStore.js'
import { listenWithRetry } from './server/listen.js'
import { acquireLock, type RuntimeInfo, removeRuntimeFile, writeRuntimeFile } from './server/runtimeFiles.js'
import { createSessionStore } from './session/createSessionStore.js'
import { createNonceManager } from './signer/createNonceManager.js'
import { createSigner } from './signer/createSigner.js'
import type { Signer } from './signer/types.js'
import { createSimulator } from './simulate/createSimulator.js'
import { createAddedChainStore } from './upstream/createAddedChainStore.js'
import { createChainRegistry } from './upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from './upstream/createSubscriptionRegistry.js'
import { createTokenInfoCache } from './upstream/createTokenInfoCache.js'
import { createUpstreamPool } from './upstream/createUpstreamPool.js'
import { knownChainName } from './upstream/knownChainName.js'
import { probeChainId } from './upstream/probeChainId.js'
import { redactUrl } from './upstream/redactUrl.js'
import { ensurePrivateDir } from './util/writeFileAtomic.js'
import { VERSION } from './version.js'

export type WalletdOptions = {
  config: Config
  env?: NodeJS.ProcessEnv
  /** Extra upstream URLs (`--upstream`); each one's chain id is asked for at start. */
  upstreamUrls?: readonly string[]
  logger?: Logger
  /**
   * Who decides approvals, racing in the broker (terminal, notification, policy…). None, and no
   * `externalApprovals`: every approval is refused (fail closed).
   */
  approvers?: readonly Approver[]
  /** Accept decisions from outside by id (`walletd approve` over the admin socket). */
  externalApprovals?: boolean
  /**
   * A policy approver: `dev` (the built-in dev policy; --dev only) or a policy file, which must be
   * attested (`walletd policy attest`). It decides first; requests it leaves go to the others.
   */
  policy?: string | null
  /** The signer; in dev mode Anvil's test accounts when not given. */
  signer?: Signer | null
  /**
   * Unlocks accounts after the server listens (health answers during a slow KDF; `ready` turns
   * true once it finishes). Its failure rejects `unlocked`.
   */
  unlock?: (log: Logger) => Promise<Signer | null>
  metrics?: Metrics
  now?: () => number
}

export type Walletd = {
  readonly port: number
  readonly info: RuntimeInfo
  readonly paths: WalletdPaths
  readonly services: Services
  readonly tokens: TokenStore
  /** The dev token (dev mode only), shown once. */
  readonly devToken: string | null
  readonly anvil: AnvilInstance | null
  /** Settles when the `unlock` option finished (at once without one); rejects when it failed. */
  readonly unlocked: Promise<void>
  close(): Promise<void>
}

/**
 * The composition root: config → logger → chains/upstreams → sessions, tokens, limiter,
 * approvals, signer → pipeline → server, then the runtime file. Everything is passed in; nothing
 * lives in module state. Resolves once listening.
 */
export async function createWalletd(options: WalletdOptions): Promise<Walletd> {
  const { config } = options
  const env = options.env ?? process.env
  const now = options.now ?? Date.now
  const log = options.logger ?? createLogger({ level: config.log.level, format: config.log.format })
  const paths = resolvePaths(config, env)
  const cleanups: Array<() => Promise<void> | void> = []
  const runCleanups = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn()
      } catch (err) {
        log.error({ err }, 'shutdown step failed')
      }
    }
  }

  try {
    ensurePrivateDir(paths.dataDir)
    cleanups.push(acquireLock(paths.lockFile, paths.runtimeDir))

    // Chains: dev Anvil, configured chains, then --upstream URLs (their chain id asked for).
    const chains: ChainConfig[] = [...config.chains]
    let anvil: AnvilInstance | null = null
    if (config.dev) {
      anvil = await startAnvil({
        port: config.devChain.anvilPort,
        blockTimeSeconds: config.devChain.blockTimeSeconds,
      })
      const started = anvil
      cleanups.push(() => started.stop())
      upsertChain(chains, {
        chainId: ANVIL_CHAIN_ID,
        name: 'Anvil (dev)',
        rpcUrls: [anvil.wsUrl, anvil.httpUrl],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      })
      log.info({ port: anvil.port }, 'dev Anvil started')
    }
    for (const url of options.upstreamUrls ?? []) {
      const chainId = await probeChainId(url, config.upstream.connectTimeoutMs)
      const known = chains.find((c) => c.chainId === chainId)
      upsertChain(chains, {
        chainId,
        name: known?.name ?? knownChainName(chainId),
        rpcUrls: [url, ...(known?.rpcUrls ?? []).filter((u) => u !== url)],
        nativeCurrency: known?.nativeCurrency ?? { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: known?.blockExplorerUrls ?? [],
      })
      log.info({ chainId, url: redactUrl(url) }, 'upstream added')
    }
    if (chains.length === 0) {
      throw new UpstreamUnavailableError(
        'No chain is configured: pass --dev, or --upstream URL, or add "chains" to the config file.',
      )
    }
    // Chains a person added at a page's request (wallet_addEthereumChain); configured ones win.
    const addedChains = createAddedChainStore({
      file: paths.addedChainsFile,
      now,
      onCorrupt: (file, movedTo) =>
        log.warn({ file, movedTo }, 'added-chains file was corrupt; set aside, added chains start empty'),
    })
    for (const { addedBy: _by, addedAt: _at, ...chain } of addedChains.list()) {
      if (!chains.some((c) => c.chainId === chain.chainId)) chains.push(chain)
    }
    const defaultChainId = config.defaultChainId ?? (config.dev ? ANVIL_CHAIN_ID : chains[0]!.chainId)
    if (!chains.some((c) => c.chainId === defaultChainId)) {
      throw new UpstreamUnavailableError(
        `defaultChainId ${defaultChainId} is not among the configured chains.`,
      )
    }

    const metrics = options.metrics ?? createMetrics()
    const chainRegistry = createChainRegistry(chains, defaultChainId)
    const upstreams = createUpstreamPool({ chains, log, metrics, options: config.upstream })
    cleanups.push(() => upstreams.close())
    await Promise.all(
      upstreams.all().map(async (u) => {
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

    let signer = options.signer ?? null
    if (!signer && config.dev) {
      signer = createSigner({
        accounts: Array.from({ length: 10 }, (_, i) =>
          mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }),
        ),
      })
    }

    const loadedPolicy = options.policy
      ? resolvePolicy(options.policy, {
          dev: config.dev,
          devAccounts: signer?.accounts() ?? [],
          attestations: paths.policyAttestationsFile,
        })
      : null
    const policyApprover = loadedPolicy
      ? createPolicyApprover({ policy: loadedPolicy.policy, hash: loadedPolicy.hash, now })
      : null
    if (loadedPolicy)
      log.info(
        { file: loadedPolicy.file, sha256: loadedPolicy.hash, rules: loadedPolicy.policy.rules.length },
        'policy loaded',
      )

    const sessions = createSessionStore({
      file: paths.sessionsFile,
      defaultChainId: () => chainRegistry.defaultChainId(),
      now,
      onCorrupt: (file, movedTo) =>
        log.warn({ file, movedTo }, 'sessions file was corrupt; set aside, grants start empty'),
    })
    const tokens = createTokenStore({ file: paths.tokensFile, now })
    const limiter = createRequestLimiter({
      config: config.rateLimit,
      now,
      extraBudgets: loadedPolicy ? { policy: loadedPolicy.policy.rateLimit ?? DEFAULT_POLICY_RATE } : {},
    })
    const approvals = createApprovalBroker({
      approvers: [...(policyApprover ? [policyApprover] : []), ...(options.approvers ?? [])],
      external: options.externalApprovals ?? false,
      timeoutMs: config.approval.timeoutMs,
      maxPending: config.approval.maxPending,
      cooldownAfter: config.approval.cooldownAfter,
      cooldownMs: config.approval.cooldownMs,
      now,
      onCooldown: (origin, until) =>
        log.warn(
          { origin, until: new Date(until).toISOString() },
          'origin rejected too often: its requests are refused without asking for a while',
        ),
    })
    cleanups.push(() => approvals.close())
    const subscriptions = createSubscriptionRegistry({
      metrics,
      maxPerConnection: config.connections.maxSubscriptionsPerConnection,
      log,
    })
    cleanups.push(() => subscriptions.close())
    const tokenInfo = createTokenInfoCache({ now })
    const batches = createCallBatchStore({ ...config.batches, now })
    cleanups.push(() => batches.close())
    const services: Services = {
      config,
      log,
      metrics,
      chains: chainRegistry,
      addedChains,
      upstreams,
      sessions,
      approvals,
      policy: loadedPolicy?.policy ?? null,
      limiter,
      signer,
      nonces: createNonceManager({ now }),
      tokenInfo,
      batches,
      simulator: createSimulator({
        enabled: config.simulation.enabled,
        timeoutMs: config.simulation.timeoutMs,
        tokenInfo,
      }),
      watchedAssets: createWatchedAssetStore({
        file: paths.watchedAssetsFile,
        now,
        onCorrupt: (file, movedTo) =>
          log.warn({ file, movedTo }, 'watched-assets file was corrupt; set aside, the list starts empty'),
      }),
      subscriptions,
      now,
    }
    const handler = createMessageHandler(services, createRpcPipeline(services, createMethodTable()))
    const connections = createConnectionRegistry()
    let boundPort = 0
    const startedAt = now()
    const app = await createServer({
      services,
      handler,
      tokens,
      connections,
      version: VERSION,
      startedAt,
      port: () => boundPort,
    })
    cleanups.push(async () => {
      // Stop accepting, drop idle keep-alive sockets, let in-flight HTTP requests finish within the
      // grace period; fastify's preClose closes every WebSocket with 1001.
      const server = app.server
      const closed = new Promise<void>((resolve) =>
        server.listening ? server.close(() => resolve()) : resolve(),
      )
      server.closeIdleConnections()
      const force = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs)
      await app.close()
      await closed
      clearTimeout(force)
    })

    // Session changes reach every connection of the origin; a chain switch or a revoke drops its subscriptions.
    const offSessions = sessions.onChange((change) => {
      if (
        change.kind === 'chainChanged' ||
        (change.kind === 'accountsChanged' && change.accounts.length === 0)
      ) {
        subscriptions.dropOrigin(change.origin)
      }
      const message =
        change.kind === 'accountsChanged'
          ? {
              jsonrpc: '2.0',
              method: 'walletd_accountsChanged',
              params: [change.accounts.map((a) => a.toLowerCase())],
            }
          : {
              jsonrpc: '2.0',
              method: 'walletd_chainChanged',
              params: [
                { chainId: `0x${change.chainId.toString(16)}`, networkVersion: String(change.chainId) },
              ],
            }
      for (const conn of connections.forOrigin(change.origin)) conn.notify?.(message)
    })
    cleanups.push(offSessions)

    // A revoked token closes the connections it opened, at once.
    // One look at the token file per tick, however many connections are open.
    const tokenWatch = setInterval(() => {
      if (connections.total === 0) return
      const live = new Set(tokens.list().map((t) => t.name))
      for (const conn of connections.all()) {
        if (conn.tokenName && !live.has(conn.tokenName)) conn.close(1008, 'token revoked')
      }
    }, 500)
    tokenWatch.unref()
    cleanups.push(() => clearInterval(tokenWatch))

    let devToken: string | null = null
    if (config.dev) devToken = tokens.create('dev', { replace: true }).token

    await app.ready()
    const host = config.server.host
    boundPort = await listenWithRetry(app.server, {
      host,
      port: config.server.port,
      lastPort: config.server.portRangeEnd,
      strict: config.server.strictPort,
    })
    const base = `${host.includes(':') ? `[${host}]` : host}:${boundPort}`
    const info: RuntimeInfo = {
      pid: process.pid,
      host,
      port: boundPort,
      version: VERSION,
      startedAt: new Date(startedAt).toISOString(),
      dataDir: paths.dataDir,
      dev: config.dev,
      urls: {
        ws: `ws://${base}/rpc`,
        http: `http://${base}/rpc`,
        health: `http://${base}/health`,
        metrics: `http://${base}/metrics`,
      },
      chains: chains.map((c) => ({ chainId: c.chainId, name: c.name })),
    }
    writeRuntimeFile(paths.runtimeFile, info)
    cleanups.push(() => removeRuntimeFile(paths.runtimeFile))
    log.info({ port: boundPort, ws: info.urls.ws, chains: info.chains }, 'walletd listening')

    const unlocked = options.unlock
      ? options.unlock(log).then((unlockedSigner) => {
          if (unlockedSigner) services.signer = unlockedSigner
          log.info({ accounts: unlockedSigner?.accounts().length ?? 0 }, 'unlock finished')
        })
      : Promise.resolve()
    unlocked.catch(() => {})

    let closing: Promise<void> | undefined
    return {
      unlocked,
      port: boundPort,
      info,
      paths,
      services,
      tokens,
      devToken,
      anvil,
      close() {
        closing ??= (async () => {
          log.info('shutting down')
          await runCleanups()
        })()
        return closing
      },
    }
  } catch (err) {
    await runCleanups()
    throw err
  }
}

/** The rate limit of what a policy may approve, when its file sets none. */
const DEFAULT_POLICY_RATE = { burst: 200, perSecond: 100 }

function upsertChain(chains: ChainConfig[], chain: ChainConfig) {
  const i = chains.findIndex((c) => c.chainId === chain.chainId)
  if (i === -1) chains.push(chain)
  else chains[i] = chain
}
