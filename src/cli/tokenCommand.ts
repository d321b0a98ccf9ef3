import { Command } from 'commander'
import { NotFoundError, TokenError } from '../errors/startup.js'
import { normalizeOrigin } from '../session/normalizeOrigin.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

type Common = { config?: string; dataDir?: string; json?: boolean }

async function store(flags: Common) {
  const { createTokenStore } = await import('../server/createTokenStore.js')
  return createTokenStore({ file: (await resolveCliPaths(flags)).tokensFile })
}

const common = (c: Command) =>
  c
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')

/** The two token URLs, on the running daemon's port (else the configured one, with a note). */
async function tokenUrls(flags: Common, token: string) {
  const [{ readRuntimeFile, isProcessAlive }, { loadConfig }] = await Promise.all([
    import('../server/runtimeFiles.js'),
    import('../config/loadConfig.js'),
  ])
  const info = readRuntimeFile((await resolveCliPaths(flags)).runtimeFile)
  let base: string
  let note = ''
  if (info && isProcessAlive(info.pid)) base = `127.0.0.1:${info.port}`
  else {
    const config = loadConfig({
      file: flags.config,
      overrides: flags.dataDir ? { dataDir: flags.dataDir } : {},
    })
    base = `127.0.0.1:${config.server.port}`
    note = `; walletd is not running: if it starts on another port, use that port`
  }
  return { urls: { ws: `ws://${base}/rpc/${token}`, http: `http://${base}/rpc/${token}` }, note }
}

/** `walletd token create|list|revoke`: host tokens (stored hashed; a running daemon sees changes within ½ s). */
export function createTokenCommand(): Command {
  const token = new Command('token').description(
    'Manage host tokens (what authorises a webview host or a script).',
  )
  common(
    token
      .command('create <name>')
      .description('Create a token and print it once (it is stored hashed).')
      .option(
        '--origin <origin>',
        'restrict the token to this origin (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option(
        '--url',
        'also accept the token as a URL path (ws://127.0.0.1:PORT/rpc/<token>) from clients without an Origin header; prints both URLs',
      ),
  ).action(async (name: string, flags: Common & { origin?: string[]; url?: boolean }) => {
    try {
      const origins = (flags.origin ?? []).map((o) => {
        const n = normalizeOrigin(o)
        if (!n.ok) throw new TokenError(`Invalid --origin "${o}": ${n.reason}.`)
        return n.origin
      })
      const { token: value, info } = (await store(flags)).create(name, { origins, url: flags.url === true })
      const urls = flags.url ? await tokenUrls(flags, value) : null
      if (flags.json) printJson({ ...info, token: value, ...(urls ? { urls: urls.urls } : {}) })
      else if (urls) {
        out(
          [
            value,
            urls.urls.ws,
            urls.urls.http,
            `(token "${name}" created; it is shown only now${urls.note})`,
            'A URL holds the token: anyone who sees it can use walletd as this token. A URL given on a command line',
            '(cast --rpc-url, a script argument) is visible to every user of this machine in `ps`; prefer an',
            'environment variable or a file, and revoke the token (walletd token revoke) when it leaked.',
          ].join('\n'),
        )
      } else
        out(
          `${value}\n(token "${name}" created; it is shown only now — store it in the host's secret storage)`,
        )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  common(
    token.command('list').description('List tokens (names, creation time, origins; never the secret).'),
  ).action(async (flags: Common) => {
    try {
      const list = (await store(flags)).list()
      if (flags.json) printJson(list)
      else if (list.length === 0) out('No tokens.')
      else
        for (const t of list)
          out(
            `${t.name}\tcreated ${new Date(t.createdAt).toISOString()}\t${t.origins ? t.origins.join(' ') : 'any origin'}${t.url ? '\turl' : ''}`,
          )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  common(
    token.command('revoke <name>').description('Revoke a token; connections it opened are closed.'),
  ).action(async (name: string, flags: Common) => {
    try {
      if (!(await store(flags)).revoke(name)) throw new NotFoundError(`No token named "${name}".`)
      if (flags.json) printJson({ revoked: true, name })
      else out(`Token "${name}" revoked.`)
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  return token
}
