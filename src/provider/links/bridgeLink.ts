import { LinkError } from '../errors.js'
import type { Link, LinkHandlers, OpenLink } from './types.js'

/**
 * A channel the host passes in (an Electron preload's `contextBridge` object, Tauri IPC, a
 * WKWebView message handler, WebView2's `chrome.webview`), for pages whose CSP forbids connecting
 * to walletd. Messages are strings in both directions.
 */
export type HostBridge = {
  postMessage(message: string): void
  /** Registers the one receiver of the native side's messages. */
  onMessage(listener: (message: string) => void): void
}

/** What travels on the bridge: `open` / `frame` / `close` for one link `id`. */
export type BridgeMessage =
  | { walletd: 'open'; id: number }
  | { walletd: 'frame'; id: number; data: string }
  | { walletd: 'close'; id: number; code?: number; reason?: string }

/**
 * A link over the host bridge. The native side attests the frame's origin (it learns it from the
 * engine, not from the page), holds the token, opens the WebSocket to walletd and does the
 * handshake itself (createBridgeRelay); the page only asks it to open, and exchanges frames.
 */
export function bridgeLink(bridge: HostBridge, timeoutMs: number): OpenLink {
  let nextId = 1
  let current: { id: number; onMessage(m: BridgeMessage): void } | null = null
  bridge.onMessage((raw) => {
    let m: BridgeMessage
    try {
      m = JSON.parse(raw) as BridgeMessage
    } catch {
      return
    }
    if (current && m && m.id === current.id) current.onMessage(m)
  })
  const post = (m: BridgeMessage) => bridge.postMessage(JSON.stringify(m))

  return (handlers: LinkHandlers) =>
    new Promise<Link>((resolve, reject) => {
      const id = nextId++
      let stage: 'opening' | 'open' | 'done' = 'opening'
      const timer = setTimeout(() => {
        if (stage !== 'opening') return
        stage = 'done'
        post({ walletd: 'close', id })
        reject(new LinkError('unreachable', 'the host bridge did not open a connection to walletd in time'))
      }, timeoutMs)
      const link: Link = {
        transport: 'bridge',
        send: (data) => post({ walletd: 'frame', id, data }),
        close: () => {
          stage = 'done'
          post({ walletd: 'close', id })
        },
      }
      current = {
        id,
        onMessage(m) {
          if (m.walletd === 'open' && stage === 'opening') {
            stage = 'open'
            clearTimeout(timer)
            resolve(link)
          } else if (m.walletd === 'frame' && stage === 'open') handlers.message(m.data)
          else if (m.walletd === 'close') {
            const was = stage
            stage = 'done'
            clearTimeout(timer)
            if (was === 'open') handlers.closed(m.code ?? 1006, m.reason ?? '')
            else if (was === 'opening') {
              // The relay's handshake verdicts travel as close codes: 4401 identity, 4403 token.
              const kind = m.code === 4401 ? 'identity' : m.code === 4403 ? 'refused' : 'unreachable'
              reject(new LinkError(kind, m.reason || 'the host bridge could not connect to walletd'))
            }
          }
        },
      }
      try {
        post({ walletd: 'open', id })
      } catch (err) {
        stage = 'done'
        clearTimeout(timer)
        reject(new LinkError('unreachable', `the host bridge failed: ${(err as Error).message}`))
      }
    })
}
