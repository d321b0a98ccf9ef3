import { setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import { ExitCode } from '../errors/startup.js'
import { isProcessAlive, readRuntimeFile } from '../server/runtimeFiles.js'
import { err, out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

export function createStopCommand(): Command {
  return new Command('stop')
    .description(
      'Stop the running daemon gracefully (SIGTERM) and wait for it to exit. Exit 4 when not running.',
    )
    .option('--json', 'machine-readable output')
    .option('--timeout <ms>', 'how long to wait', '10000')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: { json?: boolean; timeout: string; config?: string; dataDir?: string }) => {
      try {
        const paths = await resolveCliPaths(flags)
        const info = readRuntimeFile(paths.runtimeFile)
        if (!info || !isProcessAlive(info.pid)) {
          if (flags.json) printJson({ stopped: false, running: false })
          else out('walletd is not running.')
          process.exitCode = ExitCode.notRunning
          return
        }
        process.kill(info.pid, 'SIGTERM')
        const deadline = Date.now() + Number(flags.timeout)
        while (isProcessAlive(info.pid) && Date.now() < deadline) await sleep(50)
        if (isProcessAlive(info.pid)) {
          err(`walletd: pid ${info.pid} did not exit within ${flags.timeout} ms.`)
          process.exitCode = ExitCode.failure
          return
        }
        if (flags.json) printJson({ stopped: true, pid: info.pid })
        else out(`walletd stopped (pid ${info.pid}).`)
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
