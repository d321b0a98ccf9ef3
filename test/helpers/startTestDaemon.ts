import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { inject } from 'vitest'
import type { Approver } from '../../src/approval/types.js'
import { type DeepPartial, loadConfig, mergeConfig } from '../../src/config/loadConfig.js'
import type { Config } from '../../src/config/schema.js'
import { createWalletd, type Walletd, type WalletdOptions } from '../../src/createWalletd.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { deriveMnemonicKeys } from '../../src/signer/deriveMnemonicKeys.js'
import type { Signer } from '../../src/signer/types.js'
import { createLogSink } from './logSink.js'
import { type ConnectOptions, connect, type RpcClient } from './wsClient.js'

export const TEST_ORIGIN = 'https://app.example'

/** Anvil's first test accounts as a Signer (chain 31337 only). */
export function devSigner(count = 5): Signer {
  return createSigner({ privateKeys: deriveMnemonicKeys(ANVIL_MNEMONIC, count) })
}

export type TestDaemon = {
  daemon: Walletd
  port: number
  wsUrl: string
  httpUrl: string
  baseUrl: string
  /** A valid host token named "test". */
  token: string
  dataDir: string
  logger: Logger
  logText: () => string
  /** Opens a WebSocket with the test token and `origin` (default TEST_ORIGIN). */
  connect(opts?: ConnectOptions): Promise<RpcClient>
  /** Stops the daemon but keeps its data dir (a restart reuses it: same identity key, tokens, sessions). */
  stop(): Promise<void>
  /** POST /rpc with the test token. */
  post(
    body: unknown,
    opts?: { origin?: string; token?: string | null; raw?: boolean },
  ): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

export type StartTestDaemonOptions = {
  approver?: Approver | null
  /** Defaults to Anvil's test accounts; null for no signer. */
  signer?: Signer | null
  config?: DeepPartial<Config>
  /** Upstream URL (default: the shared Anvil's WebSocket URL). */
  upstreamUrl?: string
  logger?: Logger
  /** Level of the log sink (default debug: every request's line is kept in memory). */
  logLevel?: 'debug' | 'info' | 'warn'
  /**
   * Passed to createWalletd: unlocks accounts after the server listens (see `daemon.unlocked`).
   * Pass `signer: null` with it to start without Anvil's accounts.
   */
  unlock?: WalletdOptions['unlock']
  /**
   * An existing data dir (a restart test starts a second daemon on the first one's); it is kept on
   * close. Default: a fresh temporary one, removed on close.
   */
  dataDir?: string
  /** The daemon's clock (rate limits, refusal logs, sessions); a fake one makes refills exact. */
  now?: () => number
  /**
   * Restart: the data dir of a stopped daemon (its identity key, tokens and sessions) and the test
   * token it made. Pass the old port in `config.server` to come back on it.
   */
  reuse?: { dataDir: string; token: string }
}

/**
 * A whole walletd in this process, on a free port, against the shared real Anvil, with its own
 * temporary data dir and a host token. Logs go to a sink the test can search.
 */
export async function startTestDaemon(options: StartTestDaemonOptions = {}): Promise<TestDaemon> {
  const dataDir = options.reuse?.dataDir ?? options.dataDir ?? mkdtempSync(join(tmpdir(), 'walletd-test-'))
  const upstreamUrl = options.upstreamUrl ?? inject('anvilWsUrl')
  const sink = createLogSink(options.logLevel ?? 'debug')
  const logger = options.logger ?? sink.logger
  const base: DeepPartial<Config> = {
    dataDir,
    runtimeDir: join(dataDir, 'run'),
    server: { port: 0 },
    log: { level: 'debug', format: 'json' },
    chains: [
      {
        chainId: 31337,
        name: 'Anvil',
        rpcUrls: [upstreamUrl],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      },
    ],
  }
  const config = loadConfig({
    env: { XDG_CONFIG_HOME: join(dataDir, 'no-config') },
    overrides: mergeConfig(base, options.config ?? {}) as DeepPartial<Config>,
  })
  const daemon = await createWalletd({
    config,
    env: {},
    approvers: options.approver ? [options.approver] : [],
    signer: options.signer === undefined ? devSigner() : options.signer,
    logger,
    ...(options.unlock ? { unlock: options.unlock } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  const token = options.reuse?.token ?? daemon.tokens.create('test', { replace: true }).token
  const baseUrl = `http://127.0.0.1:${daemon.port}`
  return {
    daemon,
    port: daemon.port,
    wsUrl: `ws://127.0.0.1:${daemon.port}/rpc`,
    httpUrl: `${baseUrl}/rpc`,
    baseUrl,
    token,
    dataDir,
    logger,
    logText: sink.text,
    connect: (opts = {}) =>
      connect(`ws://127.0.0.1:${daemon.port}/rpc`, { token, origin: TEST_ORIGIN, ...opts }),
    async post(body, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      const tok = opts.token === undefined ? token : opts.token
      if (tok) headers.authorization = `Bearer ${tok}`
      if (opts.origin) headers.origin = opts.origin
      const res = await fetch(`${baseUrl}/rpc`, {
        method: 'POST',
        headers,
        body: opts.raw ? (body as string) : JSON.stringify(body),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {}
      return { status: res.status, body: parsed }
    },
    stop: () => daemon.close(),
    async close() {
      await daemon.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
