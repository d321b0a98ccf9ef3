import { Command } from 'commander'
import { AdminSocketError, ExitCode } from '../errors/startup.js'
import { isProcessAlive, readRuntimeFile } from '../server/runtimeFiles.js'
import { adminCall } from './adminClient.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

type Health = {
  status?: string
  ready?: boolean
  connections?: number
  chains?: { name: string; chainId: number; connected: boolean }[]
  approvers?: string[]
  notReady?: string[]
}

/**
 * `walletd status`: asks the daemon over the admin socket (runtime info, health, pending
 * approvals); when the socket does not answer, falls back to the runtime file and `/health`.
 */
export function createStatusCommand(): Command {
  return new Command('status')
    .description('Show whether the daemon runs, where, and its health. Exit 4 when not running.')
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: { json?: boolean; config?: string; dataDir?: string }) => {
      try {
        const paths = await resolveCliPaths(flags)
        const info = readRuntimeFile(paths.runtimeFile)
        if (!info || !isProcessAlive(info.pid)) {
          if (flags.json) printJson({ running: false, dataDir: paths.dataDir })
          else out(`walletd is not running (data dir ${paths.dataDir}).`)
          process.exitCode = ExitCode.notRunning
          return
        }
        let status: Record<string, unknown>
        try {
          status = await adminCall<Record<string, unknown>>(paths, 'walletd_status')
        } catch (e) {
          if (!(e instanceof AdminSocketError)) throw e
          let health: unknown = null
          try {
            const { request } = await import('undici')
            const res = await request(info.urls.health, { headersTimeout: 3000, bodyTimeout: 3000 })
            health = await res.body.json()
          } catch (e) {
            health = { error: (e as Error).message }
          }
          status = { running: true, ...info, health }
        }
        if (flags.json) {
          printJson(status)
          return
        }
        const h = (status.health ?? {}) as Health
        const lines = [
          `walletd ${info.version} is running (pid ${info.pid}${info.dev ? ', dev mode' : ''})`,
          `  WebSocket  ${info.urls.ws}`,
          `  HTTP       ${info.urls.http}`,
          `  status     ${h.status ?? 'unknown'}${h.ready ? ' (ready to sign)' : ''}`,
          `  chains     ${(h.chains ?? []).map((c) => `${c.name} (${c.chainId}) ${c.connected ? 'connected' : 'DISCONNECTED'}`).join(', ')}`,
          `  approvers  ${(h.approvers ?? []).join(', ') || 'none'}`,
          `  pending    ${typeof status.pending === 'number' ? status.pending : '?'}`,
          `  connections ${h.connections ?? 0}`,
          `  identity   ${info.identity ? `${info.identity.alg} ${info.identity.publicKey}` : 'unknown'}`,
        ]
        for (const why of h.notReady ?? []) lines.push(`  not ready: ${why}`)
        out(lines.join('\n'))
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
