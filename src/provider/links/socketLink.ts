import { LinkError } from '../errors.js'
import { authRequest, checkAuthAnswer, hostAndPort, newNonce, proveToken, verifyHello } from '../handshake.js'
import type { CreateSocket, CspWatch, Link, OpenLink } from './types.js'

export type SocketLinkOptions = {
  /** walletd's WebSocket URL: `ws://127.0.0.1:PORT/rpc`. */
  url: string
  /** The daemon's identity public key (base64url, P-256 uncompressed point). */
  publicKey: string
  token: string
  /** The page's origin (what the browser sends as Origin). */
  origin: string
  createSocket: CreateSocket
  /** The whole handshake must finish within this. */
  timeoutMs: number
  csp: CspWatch
}

/**
 * A WebSocket to walletd, opened with the handshake: no token in the upgrade (only `walletd.v1` and
 * a client nonce), the hello verified before anything is sent, then the proof. Messages are handled
 * in order, one at a time (verifying the hello is asynchronous).
 */
export function socketLink(o: SocketLinkOptions): OpenLink {
  return (handlers) =>
    new Promise<Link>((resolve, reject) => {
      const clientNonce = newNonce()
      let stage: 'hello' | 'auth' | 'open' | 'done' = 'hello'
      let socket: ReturnType<CreateSocket>
      const failure = (why: string) => new LinkError(o.csp.blocked(o.url) ? 'blocked' : 'unreachable', why)
      try {
        socket = o.createSocket(o.url, ['walletd.v1', `walletd.nonce.${clientNonce}`])
      } catch (err) {
        reject(failure(`could not open ${o.url}: ${(err as Error).message}`))
        return
      }
      const fail = (err: LinkError) => {
        if (stage === 'open' || stage === 'done') return
        stage = 'done'
        clearTimeout(timer)
        try {
          socket.close()
        } catch {}
        reject(err)
      }
      const timer = setTimeout(
        () => fail(new LinkError('unreachable', `walletd did not answer on ${o.url} in time`)),
        o.timeoutMs,
      )
      const link: Link = {
        transport: 'websocket',
        send: (text) => socket.send(text),
        close: () => {
          stage = 'done'
          socket.close(1000, 'closed by the page')
        },
      }
      const step = async (text: string) => {
        if (stage === 'open') return handlers.message(text)
        if (stage === 'done') return
        let msg: unknown = null
        try {
          msg = JSON.parse(text)
        } catch {}
        try {
          if (stage === 'hello') {
            const { transcript } = await verifyHello(msg, o.publicKey, {
              clientNonce,
              origin: o.origin,
              ...hostAndPort(o.url),
            })
            const proof = await proveToken(o.token, transcript)
            if (stage !== 'hello') return
            stage = 'auth'
            socket.send(authRequest(proof))
            return
          }
          checkAuthAnswer(msg)
          stage = 'open'
          clearTimeout(timer)
          resolve(link)
        } catch (err) {
          fail(err instanceof LinkError ? err : new LinkError('unreachable', String(err)))
        }
      }
      let queue = Promise.resolve()
      socket.onmessage = (ev) => {
        const text = String(ev.data)
        queue = queue.then(() => step(text))
      }
      socket.onerror = () => {
        queue = queue.then(() => fail(failure(`the connection to ${o.url} failed`)))
      }
      socket.onclose = (ev) => {
        queue = queue.then(() => {
          if (stage === 'open') {
            stage = 'done'
            handlers.closed(ev.code, ev.reason)
          } else
            fail(failure(`walletd closed the connection (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`))
        })
      }
    })
}
