import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import { ensurePrivateDir } from '../util/writeFileAtomic.js'
import { type AnvilInstance, type StartAnvilOptions, startAnvil } from './startAnvil.js'

/** Where the dev Anvil saves its chain state for a restart (`--state`), in the runtime dir. */
export const devAnvilStateFile = (runtimeDir: string) => join(runtimeDir, 'dev-anvil-state.json')

/**
 * How the dev Anvil runs: on `devChain.anvilPort` (0: a free port), with `devChain.blockTimeSeconds`,
 * quiet (its per-request log is not piped through the daemon), saving its state every
 * `devChain.stateIntervalSeconds` so a restart after a crash keeps the chain (superviseAnvil).
 */
export function devAnvilOptions(config: Pick<Config, 'devChain'>, stateFile: string): StartAnvilOptions {
  const { anvilPort, blockTimeSeconds, stateIntervalSeconds } = config.devChain
  return {
    port: anvilPort,
    blockTimeSeconds,
    quiet: true,
    extraArgs:
      stateIntervalSeconds === null
        ? []
        : ['--state', stateFile, '--state-interval', String(stateIntervalSeconds)],
  }
}

/**
 * Starts the dev-mode Anvil — a fresh chain per run: state left by an earlier run is removed
 * first. The CLI calls this while walletd's own modules are still loading and hands the promise to
 * createWalletd, whose supervisor adopts the instance (and stops it when it closes, or when it
 * fails to start).
 */
export function startDevAnvil(config: Pick<Config, 'devChain'>, runtimeDir: string): Promise<AnvilInstance> {
  const stateFile = devAnvilStateFile(runtimeDir)
  ensurePrivateDir(runtimeDir)
  rmSync(stateFile, { force: true })
  return startAnvil(devAnvilOptions(config, stateFile))
}
