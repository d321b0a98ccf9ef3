import { Command } from 'commander'
import { ExitCode } from '../errors/startup.js'
import { isProcessAlive, readRuntimeFile } from '../server/runtimeFiles.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

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
        let health: unknown = null
        try {
          const { request } = await import('../util/undici.js')
          const res = await request(info.urls.health, { headersTimeout: 3000, bodyTimeout: 3000 })
          health = await res.body.json()
        } catch (e) {
          health = { error: (e as Error).message }
        }
        if (flags.json) {
          printJson({ running: true, ...info, health })
          return
        }
        const h = health as {
          status?: string
          ready?: boolean
          connections?: number
          chains?: { name: string; chainId: number; connected: boolean }[]
        }
        out(
          [
            `walletd ${info.version} is running (pid ${info.pid}${info.dev ? ', dev mode' : ''})`,
            `  WebSocket  ${info.urls.ws}`,
            `  HTTP       ${info.urls.http}`,
            `  status     ${h.status ?? 'unknown'}${h.ready ? ' (ready to sign)' : ''}`,
            `  chains     ${(h.chains ?? []).map((c) => `${c.name} (${c.chainId}) ${c.connected ? 'connected' : 'DISCONNECTED'}`).join(', ')}`,
            `  connections ${h.connections ?? 0}`,
          ].join('\n'),
        )
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
