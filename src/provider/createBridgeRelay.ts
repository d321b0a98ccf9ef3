import { LinkError } from './errors.js'
import type { BridgeMessage } from './links/bridgeLink.js'
import { socketLink } from './links/socketLink.js'
import type { Link, SocketLike } from './links/types.js'

export type BridgeRelayOptions = {
  /** walletd's WebSocket URL: `ws://127.0.0.1:PORT/rpc`. */
  url: string
  /** The daemon's identity public key. */
  publicKey: string
  /** The host's token (kept on the native side: the page never sees it). */
  token: string
  /** Opens a WebSocket whose Origin header is `origin` (in Node: `new WebSocket(url, protocols, { headers: { origin } })` from `ws`). */
  createSocket: (url: string, protocols: string[], origin: string) => SocketLike
  timeoutMs?: number
}

/**
 * The native side of the host bridge (an Electron main process, a Node host, a Playwright test):
 * for each frame, with the origin the native side learned from the engine (never from the page),
 * it opens a WebSocket to walletd with that Origin, runs the handshake itself (the daemon's
 * identity checked, the token proved), and relays frames. A failed identity check reaches the page
 * as close code 4401, a refused token as 4403.
 */
export function createBridgeRelay(o: BridgeRelayOptions) {
  return {
    /** A frame whose origin was attested; `post` delivers a message into that frame's bridge. */
    attach(origin: string, post: (message: string) => void) {
      let current: { id: number; link: Link | null } | null = null
      const send = (m: BridgeMessage) => post(JSON.stringify(m))
      const closeCurrent = () => {
        current?.link?.close()
        current = null
      }
      return {
        /** A message the page posted on its bridge. */
        receive(raw: string) {
          let m: BridgeMessage
          try {
            m = JSON.parse(raw) as BridgeMessage
          } catch {
            return
          }
          if (m?.walletd === 'open' && typeof m.id === 'number') {
            closeCurrent()
            const entry: { id: number; link: Link | null } = { id: m.id, link: null }
            current = entry
            const open = socketLink({
              url: o.url,
              publicKey: o.publicKey,
              token: o.token,
              origin,
              createSocket: (url, protocols) => o.createSocket(url, protocols, origin),
              timeoutMs: o.timeoutMs ?? 10_000,
              csp: { blocked: () => false },
            })
            open({
              message: (data) => {
                if (current === entry) send({ walletd: 'frame', id: entry.id, data })
              },
              closed: (code, reason) => {
                if (current === entry) {
                  current = null
                  send({ walletd: 'close', id: entry.id, code, reason })
                }
              },
            }).then(
              (link) => {
                if (current !== entry) return link.close()
                entry.link = link
                send({ walletd: 'open', id: entry.id })
              },
              (err: unknown) => {
                if (current !== entry) return
                current = null
                const kind = err instanceof LinkError ? err.kind : 'unreachable'
                const code = kind === 'identity' ? 4401 : kind === 'refused' ? 4403 : 1006
                send({ walletd: 'close', id: entry.id, code, reason: (err as Error).message })
              },
            )
          } else if (m?.walletd === 'frame' && current?.id === m.id && typeof m.data === 'string') {
            current.link?.send(m.data)
          } else if (m?.walletd === 'close' && current?.id === m.id) {
            closeCurrent()
          }
        },
        /** The frame went away (navigation, closed window). */
        close: closeCurrent,
      }
    },
  }
}
