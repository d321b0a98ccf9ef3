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
  /**
   * Passed to createWalletd: unlocks accounts after the server listens (see `daemon.unlocked`).
   * Pass `signer: null` with it to start without Anvil's accounts.
   */
  unlock?: WalletdOptions['unlock']
}

/**
 * A whole walletd in this process, on a free port, against the shared real Anvil, with its own
 * temporary data dir and a host token. Logs go to a sink the test can search.
 */
export async function startTestDaemon(options: StartTestDaemonOptions = {}): Promise<TestDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'walletd-test-'))
  const upstreamUrl = options.upstreamUrl ?? inject('anvilWsUrl')
  const sink = createLogSink('debug')
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
    approver: options.approver ?? null,
    signer: options.signer === undefined ? devSigner() : options.signer,
    logger,
    ...(options.unlock ? { unlock: options.unlock } : {}),
  })
  const { token } = daemon.tokens.create('test')
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
    async close() {
      await daemon.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
