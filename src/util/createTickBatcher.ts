import type { WebSocket } from 'ws'

/**
 * Sends frames on a WebSocket, coalescing every frame sent in the same tick into one write: the
 * TCP socket is corked at the first frame and uncorked on the next tick (Node counts corks, so ws's
 * own per-frame cork/uncork nests inside). Under load many answers leave in one syscall; a lone
 * frame waits only until the current tick ends.
 */
export function createTickBatcher(ws: WebSocket): (frame: string) => void {
  const raw = (ws as unknown as { _socket?: { cork(): void; uncork(): void; destroyed?: boolean } })._socket
  let corked = false
  const uncork = () => {
    corked = false
    if (raw && !raw.destroyed) raw.uncork()
  }
  return (frame) => {
    if (raw && !corked && !raw.destroyed) {
      corked = true
      raw.cork()
      process.nextTick(uncork)
    }
    ws.send(frame)
  }
}
