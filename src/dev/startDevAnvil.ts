import type { Config } from '../config/schema.js'
import { type AnvilInstance, startAnvil } from './startAnvil.js'

/**
 * The dev-mode Anvil: on `devChain.anvilPort` (0: a free port), with `devChain.blockTimeSeconds`,
 * quiet (its per-request log is not piped through the daemon). The CLI calls this while walletd's
 * own modules are still loading and hands the promise to createWalletd, which owns the instance
 * from then on (and stops it when it closes, or when it fails to start).
 */
export function startDevAnvil(config: Pick<Config, 'devChain'>): Promise<AnvilInstance> {
  return startAnvil({
    port: config.devChain.anvilPort,
    blockTimeSeconds: config.devChain.blockTimeSeconds,
    quiet: true,
  })
}
