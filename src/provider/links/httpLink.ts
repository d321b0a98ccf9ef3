import { LinkError } from '../errors.js'
import { authRequest, checkAuthAnswer, hostAndPort, newNonce, proveToken, verifyHello } from '../handshake.js'
import type { CspWatch, Link, OpenLink } from './types.js'

/** The subset of EventSource the provider uses. */
export type EventSourceLike = {
  readonly readyState: number
  close(): void
  onmessage: ((ev: { data: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export type HttpLinkOptions = {
  /** walletd's base URL: `http://127.0.0.1:PORT`. */
  base: string
  publicKey: string
  token: string
  origin: string
  createEventSource: (url: string) => EventSourceLike
  fetch: typeof globalThis.fetch
  timeoutMs: number
  csp: CspWatch
}

/**
 * The fallback when WebSockets are blocked: pushes come on an event stream (`GET /events`), whose
 * first event is the signed hello with the stream's id; requests are `POST /rpc` naming that
 * stream (`X-Walletd-Stream`), so they run on the stream's connection (its subscriptions, its
 * pushes). The same handshake as over a WebSocket: nothing is sent before the hello verifies, and
 * the token is only proved.
 */
export function httpLink(o: HttpLinkOptions): OpenLink {
  return (handlers) =>
    new Promise<Link>((resolve, reject) => {
      const clientNonce = newNonce()
      const eventsUrl = `${o.base}/events?nonce=${clientNonce}`
      let stage: 'hello' | 'auth' | 'open' | 'done' = 'hello'
      let stream = ''
      let source: EventSourceLike
      const failure = (why: string) => new LinkError(o.csp.blocked(o.base) ? 'blocked' : 'unreachable', why)
      try {
        source = o.createEventSource(eventsUrl)
      } catch (err) {
        reject(failure(`could not open ${o.base}/events: ${(err as Error).message}`))
        return
      }
      const end = (code: number, reason: string) => {
        const wasOpen = stage === 'open'
        stage = 'done'
        source.close()
        if (wasOpen) handlers.closed(code, reason)
      }
      const fail = (err: LinkError) => {
        if (stage === 'open' || stage === 'done') return
        stage = 'done'
        clearTimeout(timer)
        source.close()
        reject(err)
      }
      const timer = setTimeout(
        () => fail(new LinkError('unreachable', `walletd did not answer on ${o.base} in time`)),
        o.timeoutMs,
      )
      const post = async (body: string): Promise<string | null> => {
        const res = await o.fetch(`${o.base}/rpc`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-walletd-stream': stream },
          body,
        })
        if (res.status === 204) return null
        if (!res.ok && !(res.headers.get('content-type') ?? '').includes('json'))
          throw new Error(`walletd answered HTTP ${res.status}`)
        return res.text()
      }
      const link: Link = {
        transport: 'http',
        send(text) {
          post(text).then(
            (answer) => {
              if (answer !== null && stage === 'open') handlers.message(answer)
            },
            () => end(1006, 'a request to walletd failed'),
          )
        },
        close: () => end(1000, 'closed by the page'),
      }
      const step = async (text: string) => {
        if (stage === 'open') return handlers.message(text)
        if (stage !== 'hello') return
        let msg: unknown = null
        try {
          msg = JSON.parse(text)
        } catch {}
        try {
          const { transcript, hello } = await verifyHello(msg, o.publicKey, {
            clientNonce,
            origin: o.origin,
            ...hostAndPort(o.base),
          })
          if (typeof hello.stream !== 'string')
            throw new LinkError('unreachable', 'the event stream has no id')
          stream = hello.stream
          const proof = await proveToken(o.token, transcript)
          if (stage !== 'hello') return
          stage = 'auth'
          const answer = await post(authRequest(proof))
          checkAuthAnswer(answer === null ? null : JSON.parse(answer))
          if (stage !== 'auth') return
          stage = 'open'
          clearTimeout(timer)
          resolve(link)
        } catch (err) {
          fail(err instanceof LinkError ? err : failure(String((err as Error)?.message ?? err)))
        }
      }
      let queue = Promise.resolve()
      source.onmessage = (ev) => {
        const text = ev.data
        queue = queue.then(() => step(text))
      }
      source.onerror = () => {
        // EventSource reconnects on its own; the provider reconnects itself, with a new handshake.
        queue = queue.then(() => {
          if (stage === 'open') end(1006, 'the event stream ended')
          else fail(failure(`the event stream ${o.base}/events failed`))
        })
      }
    })
}
