import { Command } from 'commander'
import { resolvePaths, userConfigFile } from '../config/paths.js'
import { ConfigInvalidError, ExitCode, StartupError } from '../errors/startup.js'
import { out, printJson, reportError } from './output.js'

export function createConfigCommand(): Command {
  const config = new Command('config').description('Inspect the configuration.')
  config
    .command('check')
    .description('Validate defaults ← user file ← WALLETD_* env; print the result. Exit 3 when invalid.')
    .option('--config <file>', 'config file (default $XDG_CONFIG_HOME/walletd/config.json)')
    .option('--json', 'print the effective configuration as JSON')
    .action(async (flags: { config?: string; json?: boolean }) => {
      try {
        const { loadConfig } = await import('../config/loadConfig.js')
        const cfg = loadConfig({ file: flags.config })
        const paths = resolvePaths(cfg)
        if (flags.json) printJson({ valid: true, config: cfg, paths })
        else
          out(
            `Configuration is valid (file: ${flags.config ?? process.env.WALLETD_CONFIG ?? userConfigFile()}; data dir: ${paths.dataDir}).`,
          )
      } catch (e) {
        if (flags.json && e instanceof StartupError) {
          printJson({
            valid: false,
            code: e.code,
            issues: e instanceof ConfigInvalidError ? e.metaMessages : [e.shortMessage],
          })
          process.exitCode = ExitCode.config
          return
        }
        process.exitCode = reportError(e)
      }
    })
  return config
}
