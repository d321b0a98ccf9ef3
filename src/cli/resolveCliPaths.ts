import type { WalletdPaths } from '../config/paths.js'

/** The options every state-reading command takes. */
export type StateFlags = { config?: string; dataDir?: string }

/** Loads the configuration (with `--data-dir` as an override) and resolves the data and runtime paths. */
export async function resolveCliPaths(
  flags: StateFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WalletdPaths> {
  const [{ loadConfig }, { resolvePaths }] = await Promise.all([
    import('../config/loadConfig.js'),
    import('../config/paths.js'),
  ])
  const config = loadConfig({
    file: flags.config,
    env,
    overrides: flags.dataDir ? { dataDir: flags.dataDir } : {},
  })
  return resolvePaths(config, env)
}
