import { url as inspectorUrl } from 'node:inspector'
import type { Logger } from 'pino'

/**
 * Keeps Node's inspector closed in a running daemon. SIGUSR1 opens it (127.0.0.1:9229, no
 * authentication: whoever connects can read keys from memory) unless a SIGUSR1 listener exists;
 * Node 20 has no `--disable-sigusr1`. bin/walletd.js installs a listener before anything loads;
 * this one (for `walletd start`) logs the first signal, and warns when the inspector was opened
 * on purpose (`--inspect`, `NODE_OPTIONS`). Returns a function that removes the listener.
 */
export function watchInspector(log: Logger): () => void {
  const open = inspectorUrl()
  if (open) {
    log.warn(
      'the Node inspector is open (--inspect or NODE_OPTIONS): anything on this machine can read keys from walletd’s memory',
    )
  }
  let seen = 0
  const onSignal = () => {
    seen++
    if (seen === 1) log.warn('SIGUSR1 received and ignored: walletd never opens the Node inspector')
    else log.debug({ count: seen }, 'SIGUSR1 received and ignored')
  }
  process.on('SIGUSR1', onSignal)
  return () => process.off('SIGUSR1', onSignal)
}
