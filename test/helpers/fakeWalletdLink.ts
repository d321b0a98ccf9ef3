import { LinkError } from '../../src/provider/errors.js'
import type { Link, LinkHandlers, OpenLink } from '../../src/provider/links/types.js'

/**
 * A scripted walletd for the provider's unit tests: each `open` waits until the test accepts or
 * refuses it; an accepted link records what the provider sent and lets the test answer and push.
 */
export function createFakeDaemon(transport: Link['transport'] = 'websocket') {
  type Attempt = { handlers: LinkHandlers; resolve(l: Link): void; reject(e: unknown): void }
  const attempts: Attempt[] = []
  const waiters: Array<() => void> = []
  let live: { handlers: LinkHandlers; sent: Array<{ id: number; method: string; params?: unknown }> } | null =
    null
  const open: OpenLink = (handlers) =>
    new Promise<Link>((resolve, reject) => {
      attempts.push({ handlers, resolve, reject })
      for (const w of waiters.splice(0)) w()
    })
  const nextAttempt = async () => {
    while (attempts.length === 0) await new Promise<void>((r) => waiters.push(r))
    return attempts.shift()!
  }
  return {
    open,
    get attempts() {
      return attempts.length
    },
    /** Every request the provider sent on the current link. */
    get sent() {
      return live?.sent ?? []
    },
    /** Accepts the next connection attempt and pushes the session state. */
    async accept(state: { chainId: string; accounts?: string[] }) {
      const a = await nextAttempt()
      const sent: Array<{ id: number; method: string; params?: unknown }> = []
      const me = { handlers: a.handlers, sent }
      live = me
      a.resolve({
        transport,
        send: (text) => sent.push(JSON.parse(text)),
        close: () => {
          if (live === me) live = null
          a.handlers.closed(1000, 'closed by the page')
        },
      })
      await Promise.resolve()
      a.handlers.message(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'walletd_state',
          params: [
            {
              chainId: state.chainId,
              networkVersion: String(Number.parseInt(state.chainId, 16)),
              accounts: state.accounts ?? [],
              version: 'test',
            },
          ],
        }),
      )
    },
    /** Refuses the next attempt with a LinkError of `kind`. */
    async refuse(kind: LinkError['kind'], message = `refused: ${kind}`) {
      ;(await nextAttempt()).reject(new LinkError(kind, message))
    },
    answer(id: number, result: unknown) {
      live?.handlers.message(JSON.stringify({ jsonrpc: '2.0', id, result }))
    },
    fail(id: number, code: number, message: string) {
      live?.handlers.message(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }))
    },
    push(method: string, params: unknown) {
      live?.handlers.message(JSON.stringify({ jsonrpc: '2.0', method, params }))
    },
    /** The daemon goes away: the link closes with 1006. */
    drop() {
      const l = live
      live = null
      l?.handlers.closed(1006, '')
    },
  }
}
