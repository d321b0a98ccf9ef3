import { randomBytes } from 'node:crypto'
import { Command } from 'commander'
import { NotRunningError, UsageError } from '../errors/startup.js'
import { normalizeOrigin } from '../session/normalizeOrigin.js'
import { err, out, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

type ProviderFlags = {
  out?: string
  origin?: string[]
  tokenName?: string
  windowEthereum?: boolean
  isMetamask?: boolean
  min?: boolean
  config?: string
  dataDir?: string
}

/**
 * `walletd provider`: writes the provider bundle with its injection options in front (the running
 * daemon's URL and identity public key, and a new token bound to the given origins), ready for a
 * host to inject into pages (docs/injection.md).
 */
export function createProviderCommand(): Command {
  return new Command('provider')
    .description(
      'Write the provider bundle with its injection options (URL, identity key, an origin-bound token) for a webview host.',
    )
    .option('--out <file>', 'write to this file (0600: it holds a token) instead of stdout')
    .option(
      '--origin <origin>',
      'bind the new token to this page origin (repeatable; recommended: without it, any origin may use it)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--token-name <name>', 'name of the token it creates (default provider-<random>)')
    .option(
      '--window-ethereum',
      'also set window.ethereum when it is free (default: config provider.windowEthereum)',
    )
    .option('--is-metamask', 'report isMetaMask: true (default: config provider.isMetaMask)')
    .option('--no-min', 'the readable bundle instead of the minified one')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: ProviderFlags) => {
      try {
        const [
          { loadConfig },
          { isProcessAlive, readRuntimeFile },
          { createTokenStore },
          { providerBundlePath },
        ] = await Promise.all([
          import('../config/loadConfig.js'),
          import('../server/runtimeFiles.js'),
          import('../server/createTokenStore.js'),
          import('../server/plugins/providerBundle.js'),
        ])
        const { readFileSync } = await import('node:fs')
        const config = loadConfig({
          file: flags.config,
          overrides: flags.dataDir ? { dataDir: flags.dataDir } : {},
        })
        const paths = await resolveCliPaths(flags)
        const info = readRuntimeFile(paths.runtimeFile)
        if (!info || !isProcessAlive(info.pid) || !info.identity) {
          throw new NotRunningError(
            'walletd is not running: start it first (the bundle needs its port and identity key).',
          )
        }
        const origins = (flags.origin ?? []).map((o) => {
          const n = normalizeOrigin(o)
          if (!n.ok) throw new UsageError(`Invalid --origin "${o}": ${n.reason}.`)
          return n.origin
        })
        let bundle: string
        try {
          bundle = readFileSync(providerBundlePath(flags.min !== false), 'utf8')
        } catch {
          throw new UsageError(
            'The provider bundle is not built: run `npm run build` in the walletd package.',
          )
        }
        const name = flags.tokenName ?? `provider-${randomBytes(4).toString('hex')}`
        const tokens = createTokenStore({ file: paths.tokensFile })
        const { token } = tokens.create(name, { origins })
        const options = {
          url: info.urls.ws,
          publicKey: info.identity.publicKey,
          token,
          isMetaMask: flags.isMetamask ?? config.provider.isMetaMask,
          windowEthereum: flags.windowEthereum ?? config.provider.windowEthereum,
        }
        const text = `globalThis.walletdProviderOptions = Object.assign(${JSON.stringify(options)}, globalThis.walletdProviderOptions);\n${bundle}`
        if (flags.out) {
          const { writeFileAtomic } = await import('../util/writeFileAtomic.js')
          writeFileAtomic(flags.out, text)
          err(
            `walletd: wrote ${flags.out} (token "${name}"${origins.length ? ` for ${origins.join(' ')}` : ''}).`,
          )
        } else out(text)
        if (origins.length === 0)
          err(
            `walletd: WARNING: token "${name}" is not bound to an origin: a page that reads it may use it for any origin. Use --origin.`,
          )
        err(
          `walletd: the bundle holds a token: keep it like a secret; \`walletd token revoke ${name}\` withdraws it.`,
        )
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
