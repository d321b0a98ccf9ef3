import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { approvalAuditEvent } from './approval/approvalAuditEvent.js'
import { createApprovalBroker } from './approval/createApprovalBroker.js'
import { createPolicyApprover } from './approval/policy/createPolicyApprover.js'
import { resolvePolicy } from './approval/policy/loadPolicy.js'
import type { Approver } from './approval/types.js'
import { createWatchedAssetStore } from './assets/createWatchedAssetStore.js'
import { type AuditLog, createAuditLog } from './audit/createAuditLog.js'
import type { AuditSink } from './audit/types.js'
import { resolvePaths, type WalletdPaths } from './config/paths.js'
import type { Config } from './config/schema.js'
import { ANVIL_CHAIN_ID, ANVIL_MNEMONIC, type AnvilInstance } from './dev/startAnvil.js'
import { devAnvilOptions, devAnvilStateFile } from './dev/startDevAnvil.js'
import { type SupervisedAnvil, superviseAnvil } from './dev/superviseAnvil.js'
import { createLogger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createRequestLimiter } from './ratelimit/createRequestLimiter.js'
import { createAdminMethodTable } from './rpc/admin/index.js'
import { createCallBatchStore } from './rpc/calls/createCallBatchStore.js'
import { createMessageHandler } from './rpc/createMessageHandler.js'
import { createRpcPipeline } from './rpc/createRpcPipeline.js'
import { createMethodTable } from './rpc/methods/index.js'
import type { Services } from './rpc/services.js'
import { type AdminSocket, listenAdminSocket } from './server/createAdminSocket.js'
import type { ConnectionLayer } from './server/createConnectionLayer.js'
import { createConnectionRegistry } from './server/createConnectionRegistry.js'
import { createServer } from './server/createServer.js'
import { createTokenStore, type TokenStore } from './server/createTokenStore.js'
import { loadIdentityKey } from './server/handshake/loadIdentityKey.js'
import { listenWithRetry } from './server/listen.js'
import { registerDevDemo } from './server/plugins/devDemo.js'
import { healthReport } from './server/plugins/health.js'
import { acquireLock, type RuntimeInfo, removeRuntimeFile, writeRuntimeFile } from './server/runtimeFiles.js'
import { createSessionStore } from './session/createSessionStore.js'
import { createLazySigner } from './signer/createLazySigner.js'
import { createNonceManager } from './signer/createNonceManager.js'
import { deriveMnemonicKeys } from './signer/deriveMnemonicKeys.js'
import type { Signer } from './signer/types.js'
import { createSimulator } from './simulate/createSimulator.js'
import { createAddedChainStore } from './upstream/createAddedChainStore.js'
import { createChainRegistry } from './upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from './upstream/createSubscriptionRegistry.js'
import { createTokenInfoCache } from './upstream/createTokenInfoCache.js'
import { createUpstreamPool } from './upstream/createUpstreamPool.js'
import { checkUpstreamChains, resolveChains } from './upstream/resolveChains.js'
import { checkWritableDir } from './util/checkWritableDir.js'
import { createStateWriter } from './util/createStateWriter.js'
import { describeFsError } from './util/describeFsError.js'
import { sweepStaleTemps } from './util/sweepStaleTemps.js'
import { toJsonSafe } from './util/toJsonSafe.js'
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
  /**
   * Listen on the admin socket (the CLI's way in: pending approvals, approve/reject, sessions,
   * revoke, status, stop). Default true.
   */
  adminSocket?: boolean
  /**
   * Keep the hash-chained audit log (`<dataDir>/audit.jsonl`) of grants, revokes, decisions,
   * signatures and sent transactions. Default true.
   */
  audit?: boolean
  /** `walletd stop` over the admin socket calls this; default: `close()`. */
  onStopRequested?: () => void
  /**
   * Dev mode: the Anvil already starting (the CLI starts it while walletd's modules load; see
   * `startDevAnvil`). createWalletd's supervisor adopts it: it stops it on close, and when start-up
   * fails. Default: started here.
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
  /** The supervised dev Anvil (dev mode only): restarted with its state when it dies. */
  readonly anvil: SupervisedAnvil | null
  /** Settles when the `unlock` option finished (at once without one); rejects when it failed. */
  readonly unlocked: Promise<void>
  /** The admin socket's path, or null without one. */
  readonly adminSocket: string | null
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
    // A read-only or unwritable data dir is a clear start-up error, before anything is written.
    checkWritableDir(paths.dataDir, 'data directory')
    checkWritableDir(paths.runtimeDir, 'runtime directory')
    cleanups.push(acquireLock(paths.lockFile, paths.runtimeDir))
    // State files a request changes (grants, added chains, watched assets): a failed save is a
    // clear JSON-RPC error for that request, logged once per file, and the previous file stays.
    const writeState = createStateWriter({
      onFailing: (file, err) =>
        log.error(
          { file, err: describeFsError(err) },
          'cannot save a state file; requests that change it fail',
        ),
      onRecovered: (file) => log.info({ file }, 'state file saved again'),
    })
    // Temp files of writes a kill interrupted (the state files themselves are whole: renamed into place).
    for (const dir of [paths.dataDir, paths.keystoreDir, paths.runtimeDir]) {
      const swept = sweepStaleTemps(dir)
      if (swept.length > 0) log.warn({ dir, files: swept }, 'removed temp files left by an interrupted write')
    }
    const identity = loadIdentityKey(paths.identityKey)

    // Chains: the dev Anvil (supervised), configured chains, --upstream URLs, added chains.
    let anvil: SupervisedAnvil | null = null
    if (config.dev) {
      anvil = await superviseAnvil({
        start: devAnvilOptions(config, devAnvilStateFile(paths.runtimeDir)),
        stateFile: devAnvilStateFile(paths.runtimeDir),
        stateIntervalSeconds: config.devChain.stateIntervalSeconds,
        log,
        now,
        ...(devAnvil ? { first: devAnvil } : {}),
      })
      const started = anvil
      cleanups.push(() => started.stop())
      log.info({ port: anvil.port }, 'dev Anvil started')
    }
    // Chains a person added at a page's request (wallet_addEthereumChain); configured ones win.
    const addedChains = createAddedChainStore({
      file: paths.addedChainsFile,
      now,
      write: writeState,
      onCorrupt: (file, movedTo) =>
        log.warn({ file, movedTo }, 'added-chains file was corrupt; set aside, added chains start empty'),
    })
    const { chains, defaultChainId } = await resolveChains({
      configured: config.chains,
      dev: anvil
        ? {
            chainId: ANVIL_CHAIN_ID,
            name: 'Anvil (dev)',
            rpcUrls: [anvil.wsUrl, anvil.httpUrl],
            nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
            blockExplorerUrls: [],
          }
        : null,
      upstreamUrls: options.upstreamUrls ?? [],
      added: addedChains.list().map(({ addedBy: _by, addedAt: _at, ...chain }) => chain),
      defaultChainId: config.defaultChainId,
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      log,
    })

    const metrics = options.metrics ?? createMetrics()
    const chainRegistry = createChainRegistry(chains, defaultChainId)
    const upstreams = createUpstreamPool({ chains, log, metrics, options: config.upstream })
    cleanups.push(() => upstreams.close())
    await checkUpstreamChains(upstreams.all(), log)

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
      write: writeState,
      onCorrupt: (file, movedTo) =>
        log.warn({ file, movedTo }, 'sessions file was corrupt; set aside, grants start empty'),
    })
    const tokens = createTokenStore({ file: paths.tokensFile, now })
    const limiter = createRequestLimiter({
      config: config.rateLimit,
      now,
      extraBudgets: loadedPolicy ? { policy: loadedPolicy.policy.rateLimit ?? DEFAULT_POLICY_RATE } : {},
    })
    let audit: AuditSink = { record: () => {}, synced: () => Promise.resolve() }
    if (options.audit !== false) {
      const auditLog: AuditLog = createAuditLog({
        file: paths.auditLog,
        headFile: paths.auditHead,
        now,
        log,
      })
      cleanups.push(() => auditLog.close())
      auditLog.record({ type: 'started', pid: process.pid, version: VERSION, dev: config.dev })
      audit = auditLog
    }
    const approvals = createApprovalBroker({
      approvers: [...(policyApprover ? [policyApprover] : []), ...(options.approvers ?? [])],
      external: options.externalApprovals ?? false,
      timeoutMs: config.approval.timeoutMs,
      maxPending: config.approval.maxPending,
      cooldownAfter: config.approval.cooldownAfter,
      cooldownMs: config.approval.cooldownMs,
      now,
      onDecision: (request, decided) => audit.record(approvalAuditEvent(request, decided)),
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
      audit,
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
        write: writeState,
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
    let layer: ConnectionLayer | null = null
    const app = await createServer({
      services,
      handler,
      tokens,
      connections,
      version: VERSION,
      startedAt,
      identity,
      port: () => boundPort,
      devChain: anvil ? () => anvil.status() : null,
      onLayer: (l) => {
        layer = l
      },
      // Dev mode: the demo dApp, its provider injected with a token bound to the demo's origins.
      ...(config.dev
        ? {
            extraRoutes: (server: FastifyInstance) =>
              registerDevDemo(server, {
                providerOptions: () =>
                  demoToken === null
                    ? null
                    : {
                        url: `ws://127.0.0.1:${boundPort}/rpc`,
                        publicKey: identity.publicKey,
                        token: demoToken,
                      },
              }),
          }
        : {}),
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
    cleanups.push(async () => {
      // Before the connections close (the step above, run after this one): answers already decided
      // but waiting for their audit records to be on disk (a rejection — Ctrl-C at a prompt —, a
      // signature) wait for that sync (at most the shutdown grace: a disk that hangs does not hold
      // the stop), then one turn of the event loop writes them out.
      let bound: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        audit.synced(),
        new Promise<void>((resolve) => {
          bound = setTimeout(resolve, config.server.shutdownGraceMs)
        }),
      ])
      clearTimeout(bound)
      await new Promise<void>((resolve) => setImmediate(resolve))
    })

    // Session changes go to the audit log; the connection layer pushes them and drops the
    // subscriptions of a chain switch or a revoke.
    const offSessions = sessions.onChange((change) => {
      audit.record(
        change.kind === 'chainChanged'
          ? { type: 'chainSwitch', origin: change.origin, chainId: change.chainId }
          : change.accounts.length === 0
            ? { type: 'revoke', origin: change.origin }
            : { type: 'grant', origin: change.origin, accounts: [...change.accounts] },
      )
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
    let demoToken: string | null = null
    if (config.dev) devToken = tokens.create('dev', { replace: true }).token

    await app.ready()
    const host = config.server.host
    boundPort = await listenWithRetry(app.server, {
      host,
      port: config.server.port,
      lastPort: config.server.portRangeEnd,
      strict: config.server.strictPort,
    })
    if (config.dev) {
      demoToken = tokens.create('dev-demo', {
        replace: true,
        origins: [`http://127.0.0.1:${boundPort}`, `http://localhost:${boundPort}`],
      }).token
    }
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
        provider: `http://${base}/provider.js`,
        ...(config.dev ? { demo: `http://${base}/demo` } : {}),
      },
      chains: chains.map((c) => ({ chainId: c.chainId, name: c.name })),
      identity: { alg: identity.alg, publicKey: identity.publicKey },
    }
    let stopRequested = () => {}
    let admin: AdminSocket | null = null
    if (options.adminSocket !== false) {
      const adminTable = createAdminMethodTable({
        status: () =>
          toJsonSafe({
            running: true,
            ...info,
            adminSocket: paths.adminSocket,
            health: healthReport(services, connections, VERSION, startedAt),
          }),
        stop: () => stopRequested(),
        connectionsFor: (origin) => connections.countFor(origin),
      })
      admin = await listenAdminSocket({
        path: paths.adminSocket,
        handler: createMessageHandler(services, createRpcPipeline(services, adminTable)),
        log,
        maxLineBytes: config.server.maxPayloadBytes,
        maxInFlight: config.connections.maxInFlightPerConnection,
      })
      const listening = admin
      cleanups.push(() => listening.close())
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
          // While locked, granted origins saw no accounts: their open connections get them now.
          layer?.syncAll()
        })
      : Promise.resolve()
    unlocked.catch(() => {})

    const walletd: Walletd = {
      adminSocket: admin ? admin.path : null,
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
          anvil?.quiesce()
          log.info('shutting down')
          await runCleanups()
        })()
        return closing
      },
    }
    stopRequested = options.onStopRequested ?? (() => void walletd.close())
    return walletd
  } catch (err) {
    await runCleanups()
    throw err
  }
}

/** The rate limit of what a policy may approve, when its file sets none. */
const DEFAULT_POLICY_RATE = { burst: 200, perSecond: 100 }
