import type { Logger } from 'pino'
import { createApprovalService } from './approval/createApprovalService.js'
import type { Approver } from './approval/types.js'
import { resolvePaths, type WalletdPaths } from './config/paths.js'
import type { ChainConfig, Config } from './config/schema.js'
import { ANVIL_CHAIN_ID, ANVIL_MNEMONIC, type AnvilInstance } from './dev/startAnvil.js'
import { startDevAnvil } from './dev/startDevAnvil.js'
import { UpstreamUnavailableError } from './errors/startup.js'
import { createLogger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createRequestLimiter } from './ratelimit/createRequestLimiter.js'
import { createMessageHandler } from './rpc/createMessageHandler.js'
import { createRpcPipeline } from './rpc/createRpcPipeline.js'
import { createMethodTable } from './rpc/methods/index.js'
import { createConnectionRegistry } from './server/createConnectionRegistry.js'
import { createServer } from './server/createServer.js'
import { createTokenStore, type TokenStore } from './server/createTokenStore.js'
import { listenWithRetry } from './server/listen.js'
import { acquireLock, type RuntimeInfo, removeRuntimeFile, writeRuntimeFile } from './server/runtimeFiles.js'
import type { Services } from './services.js'
import { createSessionStore } from './session/createSessionStore.js'
import { createLazySigner } from './signer/createLazySigner.js'
import { createNonceManager } from './signer/createNonceManager.js'
import { deriveMnemonicKeys } from './signer/deriveMnemonicKeys.js'
import type { Signer } from './signer/types.js'
import { createChainRegistry } from './upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from './upstream/createSubscriptionRegistry.js'
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
  /** Who decides approvals. null/undefined: nobody — every approval is refused (fail closed). */
  approver?: Approver | null
  /** The signer; in dev mode Anvil's test accounts when not given. */
  signer?: Signer | null
  /**
   * Unlocks accounts after the server listens (health answers during a slow KDF; `ready` turns
   * true once it finishes). Its failure rejects `unlocked`.
   */
  unlock?: (log: Logger) => Promise<Signer | null>
  metrics?: Metrics
  now?: () => number
  /**
   * Dev mode: the Anvil already starting (the CLI starts it while walletd's modules load; see
   * `startDevAnvil`). createWalletd owns it: it stops it on close, and when start-up fails.
   * Default: started here.
   */
  devAnvil?: Promise<AnvilInstance>
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
    const devAnvil = options.devAnvil
    if (devAnvil) {
      devAnvil.catch(() => {}) // its failure surfaces where it is awaited below
      cleanups.push(() =>
        devAnvil.then(
          (a) => a.stop(),
          () => {},
        ),
      )
    }
    ensurePrivateDir(paths.dataDir)
    cleanups.push(acquireLock(paths.lockFile, paths.runtimeDir))

    // Chains: dev Anvil, configured chains, then --upstream URLs (their chain id asked for).
    const chains: ChainConfig[] = [...config.chains]
    let anvil: AnvilInstance | null = null
    if (config.dev) {
      anvil = await (devAnvil ?? startDevAnvil(config))
      const started = anvil
      if (!devAnvil) cleanups.push(() => started.stop())
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
      // Anvil's ten test accounts (m/44'/60'/0'/0/0–9), derived natively in a few milliseconds;
      // the signing code loads at the first signature.
      const keys = deriveMnemonicKeys(ANVIL_MNEMONIC, 10)
      try {
        const devSigner = createLazySigner({ privateKeys: keys })
        cleanups.push(() => devSigner.close())
        signer = devSigner
      } finally {
        for (const key of keys) key.fill(0)
      }
    }

    const sessions = createSessionStore({
      file: paths.sessionsFile,
      defaultChainId: () => chainRegistry.defaultChainId(),
      now,
      onCorrupt: (file, movedTo) =>
        log.warn({ file, movedTo }, 'sessions file was corrupt; set aside, grants start empty'),
    })
    const tokens = createTokenStore({ file: paths.tokensFile, now })
    const limiter = createRequestLimiter({ config: config.rateLimit, now })
    const approvals = createApprovalService({
      approver: options.approver ?? null,
      timeoutMs: config.approval.timeoutMs,
      now,
    })
    const subscriptions = createSubscriptionRegistry({
      metrics,
      maxPerConnection: config.connections.maxSubscriptionsPerConnection,
      log,
    })
    cleanups.push(() => subscriptions.close())
    const services: Services = {
      config,
      log,
      metrics,
      chains: chainRegistry,
      upstreams,
      sessions,
      approvals,
      limiter,
      signer,
      nonces: createNonceManager({ now }),
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

    // The token file is read here, once per tick (never per request): a token created or revoked
    // by `walletd token` takes effect within a tick, and a revoked token closes the connections it
    // opened.
    const tokenWatch = setInterval(() => {
      tokens.refresh()
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

    let closing: Promise<void> | undefined
    const unlocked = options.unlock
      ? options.unlock(log).then((unlockedSigner) => {
          if (unlockedSigner) {
            services.signer = unlockedSigner
            // The daemon closes the signer it unlocked (its keys zeroed, its workers ended).
            if (closing) void unlockedSigner.close()
            else cleanups.push(() => unlockedSigner.close())
          }
          log.info({ accounts: unlockedSigner?.accounts().length ?? 0 }, 'unlock finished')
        })
      : Promise.resolve()
    unlocked.catch(() => {})

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

function upsertChain(chains: ChainConfig[], chain: ChainConfig) {
  const i = chains.findIndex((c) => c.chainId === chain.chainId)
  if (i === -1) chains.push(chain)
  else chains[i] = chain
}
