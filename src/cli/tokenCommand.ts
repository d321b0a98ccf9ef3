import { Command } from 'commander'
import { ExitCode, TokenError } from '../errors/startup.js'
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
      ),
  ).action(async (name: string, flags: Common & { origin?: string[] }) => {
    try {
      const origins = (flags.origin ?? []).map((o) => {
        const n = normalizeOrigin(o)
        if (!n.ok) throw new TokenError(`Invalid --origin "${o}": ${n.reason}.`)
        return n.origin
      })
      const { token: value, info } = (await store(flags)).create(name, { origins })
      if (flags.json) printJson({ ...info, token: value })
      else
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
            `${t.name}\tcreated ${new Date(t.createdAt).toISOString()}\t${t.origins ? t.origins.join(' ') : 'any origin'}`,
          )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  common(
    token.command('revoke <name>').description('Revoke a token; connections it opened are closed.'),
  ).action(async (name: string, flags: Common) => {
    try {
      const revoked = (await store(flags)).revoke(name)
      if (flags.json) printJson({ revoked, name })
      else out(revoked ? `Token "${name}" revoked.` : `No token named "${name}".`)
      if (!revoked) process.exitCode = ExitCode.usage
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  return token
}
