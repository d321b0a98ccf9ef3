import { Command, Option } from 'commander'
import type { Approver } from '../approval/types.js'
import type { DeepPartial } from '../config/loadConfig.js'
import type { Config } from '../config/schema.js'
import type { Walletd } from '../createWalletd.js'
import { ExitCode } from '../errors/startup.js'
import { err, out, reportError } from './output.js'

type StartFlags = {
  dev?: boolean
  port?: string
  strictPort?: boolean
  config?: string
  logLevel?: string
  upstream?: string[]
  dataDir?: string
  host?: string
  allowRemote?: boolean
  passwordFile?: string
  approver?: 'terminal' | 'none'
}

export function flagsToOverrides(flags: StartFlags): DeepPartial<Config> {
  const o: DeepPartial<Config> = {}
  if (flags.dev) o.dev = true
  if (flags.dataDir) o.dataDir = flags.dataDir
  const server: DeepPartial<Config['server']> = {}
  if (flags.port !== undefined) server.port = Number(flags.port)
  if (flags.strictPort) server.strictPort = true
  if (flags.host) server.host = flags.host
  if (flags.allowRemote) server.allowRemote = true
  if (Object.keys(server).length) o.server = server
  if (flags.logLevel) o.log = { level: flags.logLevel as Config['log']['level'] }
  return o
}

/** The terminal approver's cooldown: this many rejections in a row mute an origin for COOLDOWN_MS. */
const COOLDOWN_AFTER = 3
const COOLDOWN_MS = 30_000

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export function createStartCommand(): Command {
  return new Command('start')
    .description('Start the daemon in the foreground (SIGINT/SIGTERM stop it gracefully).')
    .option('--dev', 'dev mode: start Anvil (chain 31337) with its test accounts and print a dev token')
    .option('--port <n>', 'first port to try (default 8766; then the next free one up to 9000)')
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
    .addOption(
      new Option(
        '--approver <kind>',
        'who approves connect/sign/send/switch requests: terminal (a prompt here; the default when stdin and stderr are terminals) or none (refuse them all)',
      ).choices(['terminal', 'none']),
    )
    .action(async (flags: StartFlags) => {
      const { loadConfig } = await import('../config/loadConfig.js')
      let config: Config
      try {
        config = loadConfig({ file: flags.config, overrides: flagsToOverrides(flags) })
        if (!LOOPBACK.has(config.server.host) && !config.server.allowRemote) {
          err(
            `walletd: refusing to bind ${config.server.host}: only loopback is allowed without --allow-remote. [WALLETD_ERR_USAGE]`,
          )
          process.exitCode = ExitCode.usage
          return
        }
        if (!LOOPBACK.has(config.server.host))
          err(`walletd: WARNING: binding ${config.server.host}: other machines can reach this daemon.`)
      } catch (e) {
        process.exitCode = reportError(e)
        return
      }
      const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY)
      const approverKind = flags.approver ?? (tty ? 'terminal' : 'none')
      if (approverKind === 'terminal' && !tty) {
        err('walletd: --approver terminal needs stdin and stderr to be a terminal. [WALLETD_ERR_USAGE]')
        process.exitCode = ExitCode.usage
        return
      }
      // Signals are handled from here on, before anything starts: a stop that arrives while walletd
      // starts (or just as its banner is read) closes it cleanly once it is up, its Anvil included.
      // A second signal is not caught (`once`): it ends the process at once.
      let daemon: Walletd | undefined
      let stopSignal: string | null = null
      const shutdown = (running: Walletd, signal: string) => {
        const force = setTimeout(() => process.exit(ExitCode.failure), config.server.shutdownGraceMs + 5000)
        force.unref()
        terminal?.close()
        running
          .close()
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

      // Dev mode: Anvil starts now, while walletd's own modules load (createWalletd takes it over).
      const devAnvil = config.dev
        ? (await import('../dev/startDevAnvil.js')).startDevAnvil(config)
        : undefined
      devAnvil?.catch(() => {}) // reported by createWalletd, which awaits it
      // Prompts wait until the keystore unlock (which may ask for a passphrase on stdin) is over.
      let openPrompts = () => {}
      const promptsReady = new Promise<void>((resolve) => (openPrompts = resolve))
      let terminal: { close(): void } | null = null
      let approver: Approver | null = null
      if (approverKind === 'terminal') {
        const [{ createTerminalApprover }, { createApprovalQueue }, { escapeTerminal }] = await Promise.all([
          import('../approval/createTerminalApprover.js'),
          import('../approval/createApprovalQueue.js'),
          import('../approval/escapeTerminal.js'),
        ])
        const prompt = createTerminalApprover({
          input: process.stdin,
          output: process.stderr,
          ready: promptsReady,
          // Raw mode turns Ctrl-C into a keystroke: the prompt is rejected, then walletd stops as usual.
          onInterrupt: () => process.kill(process.pid, 'SIGINT'),
        })
        terminal = prompt
        approver = createApprovalQueue({
          approver: prompt,
          cooldownAfter: COOLDOWN_AFTER,
          cooldownMs: COOLDOWN_MS,
          onCooldown: (origin, until) =>
            err(
              `walletd: ${escapeTerminal(origin)} was rejected ${COOLDOWN_AFTER} times in a row: its requests are rejected without asking until ${new Date(until).toISOString()}.`,
            ),
        })
      }
      try {
        const { createWalletd } = await import('../createWalletd.js').catch((e) => {
          void devAnvil?.then(
            (a) => a.stop(),
            () => {},
          )
          throw e
        })
        daemon = await createWalletd({
          config,
          devAnvil,
          approver,
          upstreamUrls: flags.upstream ?? [],
          // Dev mode signs with Anvil's test accounts only; otherwise the keystore is unlocked.
          unlock: config.dev ? undefined : (log) => unlockKeystore(config, flags.passwordFile, log),
        })
      } catch (e) {
        process.exitCode = reportError(e)
        return
      }
      if (stopSignal) {
        shutdown(daemon, stopSignal)
        return
      }
      const running = daemon
      const { info } = running
      const lines = [
        `walletd ${info.version} listening (pid ${info.pid})`,
        `  WebSocket  ${info.urls.ws}`,
        `  HTTP       ${info.urls.http}`,
        `  health     ${info.urls.health}`,
        `  metrics    ${info.urls.metrics}`,
        `  chains     ${info.chains.map((c) => `${c.name} (${c.chainId})`).join(', ')}`,
      ]
      if (running.devToken) {
        lines.push(`  dev token  ${running.devToken}`)
        lines.push(
          `  try:       curl -s -H 'Authorization: Bearer ${running.devToken}' -H 'content-type: application/json' \\`,
        )
        lines.push(
          `               -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' ${info.urls.http}`,
        )
      }
      out(lines.join('\n'))
      err(
        approverKind === 'terminal'
          ? 'walletd: approvals: terminal — connect, sign, send and chain-switch requests are asked here; any answer but the one asked for rejects.'
          : `walletd: approvals: none${flags.approver ? '' : ' (stdin or stderr is not a terminal)'} — every connect, sign, send and chain-switch request is refused (4001, reason no-approver).`,
      )
      running.unlocked.finally(openPrompts).catch(() => {})
      running.unlocked.catch(async (e) => {
        process.exitCode = reportError(e)
        await running.close()
      })
    })
}

/** Unlocks the keystore in the data dir: password file, WALLETD_PASSWORD, OS keychain, or a hidden prompt. */
async function unlockKeystore(config: Config, passwordFile: string | undefined, log: import('pino').Logger) {
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
  })
  try {
    return accounts.length > 0 ? createSigner({ privateKeys: accounts.map((a) => a.privateKey) }) : null
  } finally {
    for (const account of accounts) account.privateKey.fill(0)
  }
}
