import { Command, InvalidArgumentError, Option } from 'commander'
import type { Approver } from '../approval/types.js'
import type { DeepPartial } from '../config/loadConfig.js'
import type { Config } from '../config/schema.js'
import type { Walletd } from '../createWalletd.js'
import { ExitCode, UsageError } from '../errors/startup.js'
import { err, out, reportError } from './output.js'
import { type ApproverKind, chooseApprovers, describeApprovers, parseApproverList } from './startApprovers.js'

type StartFlags = {
  dev?: boolean
  port?: number
  strictPort?: boolean
  config?: string
  logLevel?: string
  upstream?: string[]
  dataDir?: string
  host?: string
  allowRemote?: boolean
  passwordFile?: string
  approver?: ApproverKind[]
  policy?: string
}

export function flagsToOverrides(flags: StartFlags): DeepPartial<Config> {
  const o: DeepPartial<Config> = {}
  if (flags.dev) o.dev = true
  if (flags.dataDir) o.dataDir = flags.dataDir
  const server: DeepPartial<Config['server']> = {}
  if (flags.port !== undefined) server.port = flags.port
  if (flags.strictPort) server.strictPort = true
  if (flags.host) server.host = flags.host
  if (flags.allowRemote) server.allowRemote = true
  if (Object.keys(server).length) o.server = server
  if (flags.logLevel) o.log = { level: flags.logLevel as Config['log']['level'] }
  return o
}

/** `--port N`: a usage error (exit 2) unless an integer 0–65535 (0: any free port). */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('expected an integer 0–65535 (0: any free port).')
  return Number(value)
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export function createStartCommand(): Command {
  return new Command('start')
    .description('Start the daemon in the foreground (SIGINT/SIGTERM stop it gracefully).')
    .option('--dev', 'dev mode: start Anvil (chain 31337) with its test accounts and print a dev token')
    .option('--port <n>', 'first port to try (default 8766; then the next free one up to 9000)', parsePort)
    .option('--strict-port', 'fail instead of moving to the next port')
    .option('--config <file>', 'config file (default $XDG_CONFIG_HOME/walletd/config.json)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option(
      '--upstream <url>',
      'upstream node URL (ws:// or http://), repeatable; its chain id is asked for',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--data-dir <dir>', 'state directory (default $XDG_DATA_HOME/walletd)')
    .option('--host <addr>', 'bind address (default 127.0.0.1)')
    .option('--allow-remote', 'allow a non-loopback --host (dangerous: prints a warning)')
    .option(
      '--password-file <file>',
      'passphrase for the keystore (else WALLETD_PASSWORD, the OS keychain, or a prompt)',
    )
    .option(
      '--approver <list>',
      'who approves connect/sign/send/switch requests, comma-separated: terminal (a prompt here), cli (walletd approve/reject/prompts over the admin socket), notification (OS notifications), or none alone (refuse them all). Default: terminal,cli with a terminal, else cli',
      parseApproverList,
    )
    .option(
      '--policy <file|dev>',
      'an attested policy file (walletd policy attest FILE) that approves or rejects without a person, asked before the approvers; `dev` (with --dev): the built-in dev policy',
    )
    .action(async (flags: StartFlags) => {
      const { loadConfig } = await import('../config/loadConfig.js')
      let config: Config
      try {
        config = loadConfig({ file: flags.config, overrides: flagsToOverrides(flags) })
        if (!LOOPBACK.has(config.server.host) && !config.server.allowRemote) {
          throw new UsageError(
            `refusing to bind ${config.server.host}: only loopback is allowed without --allow-remote.`,
          )
        }
        if (!LOOPBACK.has(config.server.host))
          err(`walletd: WARNING: binding ${config.server.host}: other machines can reach this daemon.`)
      } catch (e) {
        process.exitCode = reportError(e)
        return
      }
      // Signals stop walletd gracefully from now on; one that arrives while it starts takes effect
      // as soon as it has started (a supervisor may stop it at any moment).
      let daemon: Walletd | undefined
      let stopSignal: string | null = null
      const shutdown = (d: Walletd, signal: string) => {
        const force = setTimeout(() => process.exit(ExitCode.failure), config.server.shutdownGraceMs + 5000)
        force.unref()
        d.close()
          .then(() => {
            out(`walletd stopped (${signal})`)
            process.exitCode = ExitCode.ok
          })
          .catch((e) => {
            process.exitCode = reportError(e)
          })
      }
      const stop = (signal: string) => {
        if (stopSignal) return
        stopSignal = signal
        if (daemon) shutdown(daemon, signal)
      }
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
      const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY)
      let chosen: ReturnType<typeof chooseApprovers>
      try {
        chosen = chooseApprovers(flags.approver, tty, flags.policy !== undefined)
      } catch (e) {
        process.exitCode = reportError(e)
        return
      }
      // Dev mode: Anvil starts now, while walletd's own modules load (createWalletd's supervisor
      // adopts it, and stops it when start-up fails).
      const devAnvil = config.dev
        ? (await import('../dev/startDevAnvil.js')).startDevAnvil(
            config,
            (await import('../config/paths.js')).resolvePaths(config).runtimeDir,
          )
        : undefined
      devAnvil?.catch(() => {}) // reported by createWalletd, which awaits it
      const stopDevAnvil = () =>
        void devAnvil?.then(
          (a) => a.stop(),
          () => {},
        )
      // Prompts wait until the keystore unlock (which may ask for a passphrase on stdin) is over.
      let openPrompts = () => {}
      const promptsReady = new Promise<void>((resolve) => (openPrompts = resolve))
      const approvers: Approver[] = []
      if (chosen.kinds.includes('terminal')) {
        const { createTerminalApprover } = await import('../approval/createTerminalApprover.js')
        approvers.push(
          createTerminalApprover({
            input: process.stdin,
            output: process.stderr,
            ready: promptsReady,
            // Raw mode turns Ctrl-C into a keystroke: the prompt is rejected, then walletd stops as usual.
            onInterrupt: () => process.kill(process.pid, 'SIGINT'),
          }),
        )
      }
      const { createLogger } = await import('../logger.js')
      const logger = createLogger({ level: config.log.level, format: config.log.format })
      if (chosen.kinds.includes('notification')) {
        const [{ createNotificationApprover }, { createNotificationBackend }] = await Promise.all([
          import('../approval/notification/createNotificationApprover.js'),
          import('../approval/notification/createNotificationBackend.js'),
        ])
        approvers.push(createNotificationApprover({ backend: createNotificationBackend(), log: logger }))
      }
      // What can be checked before listening is checked now: the keystore directory, the password
      // file and that it opens the first keystore (a wrong one exits 8 before any banner).
      let firstAccount: Awaited<ReturnType<typeof precheckKeystore>> = null
      if (!config.dev) {
        try {
          firstAccount = await precheckKeystore(config, flags.passwordFile)
        } catch (e) {
          process.exitCode = reportError(e)
          return
        }
      }
      try {
        const { createWalletd } = await import('../createWalletd.js').catch((e) => {
          stopDevAnvil()
          throw e
        })
        daemon = await createWalletd({
          config,
          ...(devAnvil ? { devAnvil } : {}),
          logger,
          approvers,
          policy: flags.policy ?? null,
          externalApprovals: chosen.external,
          onStopRequested: () => stop('walletd stop'),
          upstreamUrls: flags.upstream ?? [],
          // Dev mode signs with Anvil's test accounts only; otherwise the keystore is unlocked.
          unlock: config.dev
            ? undefined
            : (log) => unlockKeystore(config, flags.passwordFile, log, firstAccount),
        })
      } catch (e) {
        process.exitCode = reportError(e)
        return
      }
      if (stopSignal) {
        shutdown(daemon, stopSignal)
        return
      }
      const started = daemon
      const { watchInspector } = await import('./watchInspector.js')
      watchInspector(daemon.services.log)
      const { info } = daemon
      const lines = [
        `walletd ${info.version} listening (pid ${info.pid})`,
        `  WebSocket  ${info.urls.ws}`,
        `  HTTP       ${info.urls.http}`,
        `  health     ${info.urls.health}`,
        `  metrics    ${info.urls.metrics}`,
        `  chains     ${info.chains.map((c) => `${c.name} (${c.chainId})`).join(', ')}`,
      ]
      lines.push(`  provider   ${info.urls.provider}`)
      if (info.urls.demo) lines.push(`  demo dApp  ${info.urls.demo}  (dev only: open it in a browser)`)
      if (daemon.devToken) {
        lines.push(`  dev token  ${daemon.devToken}`)
        lines.push(
          `  try:       curl -s -H 'Authorization: Bearer ${daemon.devToken}' -H 'content-type: application/json' \\`,
        )
        lines.push(
          `               -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' ${info.urls.http}`,
        )
      }
      out(lines.join('\n'))
      err(describeApprovers(chosen.kinds, chosen.defaulted, tty, flags.policy))
      started.unlocked.finally(openPrompts).catch(() => {})
      started.unlocked.catch(async (e) => {
        process.exitCode = reportError(e)
        await started.close()
      })
    })
}

/** Before listening: the keystore dir, the password file, and the first keystore with it (see unlockFirstAccount). */
async function precheckKeystore(config: Config, passwordFile: string | undefined) {
  const [{ resolvePaths }, { unlockFirstAccount }] = await Promise.all([
    import('../config/paths.js'),
    import('../signer/unlockFirstAccount.js'),
  ])
  return unlockFirstAccount({
    keystoreDir: resolvePaths(config).keystoreDir,
    passphraseSource: { passwordFile, env: process.env },
  })
}

/** Unlocks the keystore in the data dir: password file, WALLETD_PASSWORD, OS keychain, or a hidden prompt. */
async function unlockKeystore(
  config: Config,
  passwordFile: string | undefined,
  log: import('pino').Logger,
  first: Awaited<ReturnType<typeof precheckKeystore>>,
) {
  // Without keystore files there is nothing to unlock: the unlock, keychain and signing code is
  // not even loaded (it would compete with the first requests for nothing).
  const [{ resolvePaths }, { listKeystoreFiles }] = await Promise.all([
    import('../config/paths.js'),
    import('../signer/keystore/keystoreDir.js'),
  ])
  const keystoreDir = resolvePaths(config).keystoreDir
  if (listKeystoreFiles(keystoreDir).length === 0) {
    log.info({ keystoreDir }, 'no keystore files; no accounts unlocked')
    return null
  }
  const [{ unlockAccounts }, { createKeychain }, { createHiddenPrompt }, { createSigner }] =
    await Promise.all([
      import('../signer/unlockAccounts.js'),
      import('../signer/keychain/createKeychain.js'),
      import('../signer/keystore/createHiddenPrompt.js'),
      import('../signer/createSigner.js'),
    ])
  const accounts = await unlockAccounts({
    keystoreDir,
    passphraseSource: { passwordFile, env: process.env, prompt: createHiddenPrompt() },
    keychain: createKeychain(),
    log,
    ...(first ? { alreadyUnlocked: new Map([[first.file, first.account]]) } : {}),
  })
  try {
    return accounts.length > 0 ? createSigner({ privateKeys: accounts.map((a) => a.privateKey) }) : null
  } finally {
    for (const account of accounts) account.privateKey.fill(0)
  }
}
