import { CLOSE_PERMANENT, CLOSE_RECOVERABLE, DISCONNECTED, LinkError, ProviderRpcError } from './errors.js'
import type { Link, LinkHandlers, OpenLink, TransportName } from './links/types.js'

/** What the page can read about the provider's connection to walletd. */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'failed'

/** The session state walletd pushes first on every connection (`walletd_state`). */
export type SessionState = { chainId: string; networkVersion: string; accounts: string[]; version: string }

export type ConnectionOptions = {
  transports: ReadonlyArray<{ name: TransportName; open: OpenLink }>
  /** Reconnect delays: the first, and the cap (exponential backoff with jitter in between). */
  reconnect: { initialMs: number; maxMs: number }
  /** A request made while disconnected waits at most this long for a connection (then 4900). */
  queueTimeoutMs: number
  /** After a link opens, walletd's state push must arrive within this. */
  readyTimeoutMs: number
  /** A connection is ready (walletd's state arrived). Requests made here go out before the queued ones. */
  onReady(state: SessionState): void
  /** A push other than the state (`walletd_*Changed`, `eth_subscription`). */
  onPush(message: { method: string; params: unknown }): void
  /** A ready connection ended: `error.code` 1013 when it reconnects, 1011 when it gave up. */
  onDown(error: ProviderRpcError): void
  onStatus(status: ConnectionStatus): void
  random?: () => number
}

export type RequestOptions = {
  /** Safe to send again after a drop interrupted it (reads); else it fails with 4900. */
  resend: boolean
  /** Runs synchronously with the result, before anything else is handled (subscription ids). */
  onResult?: (result: unknown) => unknown
}

type Entry = {
  method: string
  params: unknown
  options: RequestOptions
  resolve(value: unknown): void
  reject(err: unknown): void
  timer?: ReturnType<typeof setTimeout>
}

/**
 * The provider's connection to walletd: tries the transports in order (a CSP-blocked one is skipped
 * at once), reconnects with exponential backoff and jitter, and keeps requests from hanging:
 * requests made while disconnected queue for `queueTimeoutMs`; requests a drop interrupted are sent
 * again when safe (reads) and fail with 4900 otherwise. An identity mismatch or a refused token is
 * final: no retry, no other transport.
 */
export function createConnection(o: ConnectionOptions) {
  const random = o.random ?? Math.random
  let status: ConnectionStatus = 'connecting'
  let link: Link | null = null
  let ready = false
  let attempt = 0
  let preferred = 0
  let nextId = 1
  let fatal: ProviderRpcError | null = null
  let closedByPage = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  const inFlight = new Map<number, Entry>()
  const queue: Entry[] = []

  const setStatus = (s: ConnectionStatus) => {
    if (s === status) return
    status = s
    o.onStatus(s)
  }

  const disconnected = (message = 'The provider is disconnected from walletd.') =>
    new ProviderRpcError(DISCONNECTED, message)

  function send(entry: Entry) {
    const id = nextId++
    inFlight.set(id, entry)
    const params = entry.params === undefined ? {} : { params: entry.params }
    link!.send(JSON.stringify({ jsonrpc: '2.0', id, method: entry.method, ...params }))
  }

  function enqueue(entry: Entry, front = false) {
    if (fatal) return entry.reject(fatal)
    entry.timer = setTimeout(() => {
      const i = queue.indexOf(entry)
      if (i !== -1) queue.splice(i, 1)
      entry.reject(
        disconnected(
          `The provider is disconnected from walletd (no connection within ${o.queueTimeoutMs} ms); the request was not sent.`,
        ),
      )
    }, o.queueTimeoutMs)
    if (front) queue.unshift(entry)
    else queue.push(entry)
  }

  function onMessage(text: string) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      const m = msg as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown }
      if (typeof m?.id === 'number' && ('result' in m || 'error' in m)) {
        const entry = inFlight.get(m.id)
        if (!entry) continue
        inFlight.delete(m.id)
        if ('error' in m && m.error) {
          const e = m.error as { code?: unknown; message?: unknown; data?: unknown }
          entry.reject(
            new ProviderRpcError(
              typeof e.code === 'number' ? e.code : -32603,
              typeof e.message === 'string' ? e.message : 'Internal error.',
              e.data,
            ),
          )
        } else {
          try {
            entry.resolve(entry.options.onResult ? entry.options.onResult(m.result) : m.result)
          } catch (err) {
            entry.reject(err)
          }
        }
      } else if (typeof m?.method === 'string' && m.id === undefined) {
        if (m.method === 'walletd_state') becomeReady((m.params as SessionState[] | undefined)?.[0])
        else o.onPush({ method: m.method, params: m.params })
      }
    }
  }

  function becomeReady(state: SessionState | undefined) {
    if (ready || !state || typeof state.chainId !== 'string') return
    ready = true
    attempt = 0
    setStatus('connected')
    o.onReady(state)
    for (const entry of queue.splice(0)) {
      clearTimeout(entry.timer)
      send(entry)
    }
  }

  function onLinkClosed(code: number, reason: string) {
    if (fatal) return
    const wasReady = ready
    link = null
    ready = false
    // Interrupted requests: reads go out again on the next connection; anything else may already
    // have happened in walletd, so it fails rather than risk doing it twice.
    const interrupted = [...inFlight.values()]
    inFlight.clear()
    for (const entry of interrupted.reverse()) {
      if (entry.options.resend) enqueue(entry, true)
      else
        entry.reject(
          disconnected(
            `The connection to walletd dropped while ${entry.method} was in flight; it was not sent again (it may have been carried out).`,
          ),
        )
    }
    if (closedByPage) return
    setStatus('reconnecting')
    if (wasReady)
      o.onDown(
        new ProviderRpcError(
          CLOSE_RECOVERABLE,
          `The connection to walletd dropped (${code}${reason ? ` ${reason}` : ''}); reconnecting.`,
        ),
      )
    scheduleRetry()
  }

  function fail(err: LinkError) {
    fatal = disconnected(err.message)
    const wasReady = ready
    const open = link
    link = null
    ready = false
    for (const entry of [...queue.splice(0), ...inFlight.values()]) {
      clearTimeout(entry.timer)
      entry.reject(fatal)
    }
    inFlight.clear()
    open?.close()
    setStatus('failed')
    if (wasReady) o.onDown(new ProviderRpcError(CLOSE_PERMANENT, err.message))
  }

  function scheduleRetry() {
    const delay = Math.min(o.reconnect.maxMs, o.reconnect.initialMs * 2 ** attempt)
    attempt++
    retryTimer = setTimeout(() => void connect(), delay * (0.5 + random() * 0.5))
  }

  async function connect() {
    if (closedByPage || fatal) return
    const order = [preferred, ...o.transports.keys()].filter((v, i, a) => a.indexOf(v) === i)
    const blocked: string[] = []
    for (const index of order) {
      const transport = o.transports[index]!
      let current = true
      const handlers: LinkHandlers = {
        message: (text) => {
          if (current) onMessage(text)
        },
        closed: (code, reason) => {
          if (!current) return
          current = false
          onLinkClosed(code, reason)
        },
      }
      try {
        const opened = await transport.open(handlers)
        if (closedByPage) {
          current = false
          opened.close()
          return
        }
        link = opened
        preferred = index
        const readyTimer = setTimeout(() => {
          if (current && !ready) opened.close()
        }, o.readyTimeoutMs)
        const clear = handlers.closed
        handlers.closed = (code, reason) => {
          clearTimeout(readyTimer)
          clear(code, reason)
        }
        return
      } catch (err) {
        current = false
        const e = err instanceof LinkError ? err : new LinkError('unreachable', String(err))
        if (e.kind === 'identity' || e.kind === 'refused') return fail(e)
        if (e.kind === 'blocked') blocked.push(transport.name)
      }
    }
    if (blocked.length === o.transports.length) {
      return fail(
        new LinkError(
          'blocked',
          `The page's Content-Security-Policy (connect-src) blocks every way to reach walletd (${blocked.join(', ')}); the host must pass a bridge.`,
        ),
      )
    }
    setStatus(status === 'connecting' ? 'connecting' : 'reconnecting')
    scheduleRetry()
  }

  void connect()

  return {
    get status() {
      return status
    },
    get transport(): TransportName | null {
      return ready && link ? link.transport : null
    },
    /** Why the provider gave up (status `failed`), else null. */
    get error(): ProviderRpcError | null {
      return fatal
    },
    request(method: string, params: unknown, options: RequestOptions): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const entry: Entry = { method, params, options, resolve, reject }
        if (fatal) reject(fatal)
        else if (ready && link) send(entry)
        else enqueue(entry)
      })
    },
    /** Stops for good (the page is going away): no reconnect; queued requests fail. */
    close() {
      closedByPage = true
      clearTimeout(retryTimer)
      link?.close()
      for (const entry of queue.splice(0)) {
        clearTimeout(entry.timer)
        entry.reject(disconnected())
      }
    },
  }
}

export type Connection = ReturnType<typeof createConnection>
