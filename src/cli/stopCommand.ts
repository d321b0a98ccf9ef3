import { setTimeout as sleep } from 'node:timers/promises'
import { Command, InvalidArgumentError } from 'commander'
import { AdminSocketError, ExitCode, StopTimeoutError } from '../errors/startup.js'
import { isProcessAlive, readRuntimeFile } from '../server/runtimeFiles.js'
import { adminCall } from './adminClient.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

const parseMs = (v: string) => {
  if (!/^\d{1,9}$/.test(v)) throw new InvalidArgumentError('expected a number of milliseconds.')
  return Number(v)
}

/**
 * `walletd stop`: asks the daemon to stop over the admin socket (`walletd_stop`), or, when the
 * socket does not answer, sends SIGTERM to the pid of the runtime file; then waits for it to exit.
 */
export function createStopCommand(): Command {
  return new Command('stop')
    .description(
      'Stop the running daemon gracefully (over the admin socket, else SIGTERM) and wait for it to exit. Exit 4 when not running.',
    )
    .option('--json', 'machine-readable output')
    .option('--timeout <ms>', 'how long to wait', parseMs, 10000)
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: { json?: boolean; timeout: number; config?: string; dataDir?: string }) => {
      try {
        const paths = await resolveCliPaths(flags)
        const info = readRuntimeFile(paths.runtimeFile)
        if (!info || !isProcessAlive(info.pid)) {
          if (flags.json) printJson({ stopped: false, running: false })
          else out('walletd is not running.')
          process.exitCode = ExitCode.notRunning
          return
        }
        try {
          await adminCall(paths, 'walletd_stop')
        } catch (e) {
          if (!(e instanceof AdminSocketError)) throw e
          process.kill(info.pid, 'SIGTERM')
        }
        const deadline = Date.now() + Number(flags.timeout)
        while (isProcessAlive(info.pid) && Date.now() < deadline) await sleep(50)
        if (isProcessAlive(info.pid)) {
          throw new StopTimeoutError(`walletd (pid ${info.pid}) did not exit within ${flags.timeout} ms.`)
        }
        if (flags.json) printJson({ stopped: true, pid: info.pid })
        else out(`walletd stopped (pid ${info.pid}).`)
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
