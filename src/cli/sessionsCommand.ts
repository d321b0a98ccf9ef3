import { Command } from 'commander'
import { escapeTerminal } from '../approval/escapeTerminal.js'
import { adminCall } from './adminClient.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths, type StateFlags } from './resolveCliPaths.js'

type SessionRow = {
  origin: string
  accounts: string[]
  chainId: number
  grantedAt: string | null
  lastUsedAt: string
  connections: number
}

const stateOptions = (c: Command) =>
  c.option('--config <file>', 'config file').option('--data-dir <dir>', 'state directory')

/** `walletd sessions [--json]`: the origins with a grant. */
export function createSessionsCommand(): Command {
  return stateOptions(
    new Command('sessions')
      .description('List the sessions with a grant: origin, accounts, chain, live connections.')
      .option('--json', 'machine-readable output'),
  ).action(async (flags: StateFlags & { json?: boolean }) => {
    try {
      const rows = await adminCall<SessionRow[]>(await resolveCliPaths(flags), 'walletd_sessions')
      if (flags.json) printJson(rows)
      else if (rows.length === 0) out('No session has a grant.')
      else
        for (const s of rows)
          out(
            `${escapeTerminal(s.origin)}\tchain ${s.chainId}\t${s.connections} connection(s)\t${s.accounts.join(',')}\tgranted ${s.grantedAt ?? '-'}`,
          )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
}

/** `walletd revoke ORIGIN`: drops the grant; the origin's connections get accountsChanged []. */
export function createRevokeCommand(): Command {
  return stateOptions(
    new Command('revoke')
      .description("Revoke an origin's grant: its pages get accountsChanged [] and lose their subscriptions.")
      .argument('<origin>', 'scheme://host[:port], or token:NAME')
      .option('--json', 'machine-readable output'),
  ).action(async (origin: string, flags: StateFlags & { json?: boolean }) => {
    try {
      const res = await adminCall<{ origin: string }>(await resolveCliPaths(flags), 'walletd_revoke', [
        origin,
      ])
      if (flags.json) printJson(res)
      else out(`Revoked the grant of ${escapeTerminal(res.origin)}.`)
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
}

/** `walletd permissions ORIGIN`: the EIP-2255 permissions the origin has. */
export function createPermissionsCommand(): Command {
  return stateOptions(
    new Command('permissions')
      .description('Show the permissions of an origin (what wallet_getPermissions answers it).')
      .argument('<origin>', 'scheme://host[:port], or token:NAME')
      .option('--json', 'machine-readable output'),
  ).action(async (origin: string, flags: StateFlags & { json?: boolean }) => {
    try {
      const res = await adminCall<{
        origin: string
        chainId: number
        connections: number
        permissions: { parentCapability: string; caveats: { value: string[] }[] }[]
      }>(await resolveCliPaths(flags), 'walletd_permissions', [origin])
      if (flags.json) {
        printJson(res)
        return
      }
      const accounts = res.permissions.flatMap((p) => p.caveats.flatMap((c) => c.value))
      out(
        [
          `${escapeTerminal(res.origin)}  chain ${res.chainId}, ${res.connections} connection(s)`,
          res.permissions.length === 0 ? '  no permissions' : `  eth_accounts: ${accounts.join(', ')}`,
        ].join('\n'),
      )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
}
