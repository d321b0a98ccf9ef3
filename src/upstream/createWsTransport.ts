import type { Logger } from 'pino'
import { type RawData, WebSocket } from 'ws'
import type { Config } from '../config/schema.js'
import { MethodNotSupportedError, UpstreamRpcError } from '../errors/rpc.js'
import { createTickBatcher } from '../util/createTickBatcher.js'
import { createPendingTable, sweepTickFor } from './createPendingTable.js'
import { requestFrame, type UpstreamErrors, type UpstreamOutcome } from './createUpstreamErrors.js'
import { redactUrl, scrubUserinfo } from './redactUrl.js'
import type { UpstreamSubscription } from './types.js'

export type CreateWsTransportParameters = {
  /** ws(s) URLs, tried in turn when one cannot be reached. */
  urls: readonly string[]
  log: Logger
  options: Config['upstream']
  errors: UpstreamErrors
  /** Records one request's outcome and duration (seconds). */
  observe(outcome: UpstreamOutcome, seconds: number): void
  /** Told when the socket opens (true) or closes (false). */
  onConnectedChange(connected: boolean): void
  /** Ping interval; a socket that has not answered the previous ping is dropped. */
  heartbeatMs: number
  /** For the reconnect jitter. */
  random: () => number
  now?: () => number
}

export type WsTransport = {
  readonly open: boolean
  /** The connection attempt in progress (settles when it opened or failed); null when none runs. */
  readonly connecting: Promise<void> | null
  readonly lastError: string | null
  /** The URL in use (redacted). */
  url(): string
  /** Sends on the open socket; the caller checks `open` first (else it fails 4901 disconnected). */
  request(method: string, params: unknown, signal: AbortSignal | undefined): Promise<unknown>
  subscribe(params: readonly unknown[], onResult: (result: unknown) => void): Promise<UpstreamSubscription>
  /** Calls `fn` once the socket is open (at once when it is); returns a function that cancels. */
  whenOpen(fn: () => void): () => void
  close(): Promise<void>
}

type SubEntry = {
  readonly params: readonly unknown[]
  readonly onResult: (result: unknown) => void
  upstreamId: string | null
  active: boolean
}

type Pending = {
  readonly deadline: number
  readonly signal: AbortSignal | undefined
  readonly resolve: (value: unknown) => void
  readonly reject: (err: unknown) => void
  readonly method: string
  readonly started: number
  /** Set for `eth_subscribe`: the result is mapped synchronously, before any notification is routed. */
  readonly sub: SubEntry | undefined
}

/**
 * One chain's upstream over one persistent WebSocket: walletd's own integer ids (the client's
 * never reach the node), in-flight requests in a pending table (deadlines swept by one timer, the
 * caller's signal hooked once per signal), reconnect with exponential backoff and jitter (the next
 * URL when one never opened), pending requests failed (4901 disconnected) when the socket drops,
 * subscriptions re-established after a reconnect under the same caller-side handle, and a
 * ping/pong heartbeat. Writes are coalesced per tick.
 */
export function createWsTransport({
  urls,
  log,
  options,
  errors,
  observe,
  onConnectedChange,
  heartbeatMs,
  random,
  now = () => performance.now(),
}: CreateWsTransportParameters): WsTransport {
  const { requestTimeoutMs, connectTimeoutMs, reconnectInitialMs, reconnectMaxMs } = options
  const { failure, malformed, aborted, settleResponse } = errors

  let closed = false
  let lastError: string | null = null
  let socket: WebSocket | null = null
  /** Sends on the open socket, one write per tick (set on open). */
  let sendFrame: (frame: string) => void = () => {}
  let open = false
  let urlIndex = 0
  let attempt = 0
  let nextId = 1
  let generation = 0
  let reconnectTimer: NodeJS.Timeout | undefined
  let heartbeatTimer: NodeJS.Timeout | undefined
  let alive = true
  let connecting: Promise<void> | null = null
  let endAttempt: (() => void) | null = null
  const subs = new Set<SubEntry>()
  const byUpstreamId = new Map<string, SubEntry>()
  const openWaiters = new Set<() => void>()
  const pending = createPendingTable<number, Pending>({
    tickMs: sweepTickFor(requestTimeoutMs),
    now,
    onExpired: (p) => settleFailure(p, failure('timeout', undefined, p.method), 'timeout'),
    onAborted: (p, signal) => settleFailure(p, aborted(signal), 'aborted'),
  })

  function currentUrl() {
    return urls[urlIndex % urls.length]!
  }

  function connect() {
    if (closed) return
    const url = currentUrl()
    connecting = new Promise<void>((resolve) => {
      endAttempt = resolve
    })
    let ws: WebSocket
    try {
      ws = new WebSocket(url, { handshakeTimeout: connectTimeoutMs, perMessageDeflate: false })
    } catch (err) {
      lastError = scrubUserinfo(err instanceof Error ? err.message : String(err))
      finishAttempt()
      scheduleReconnect(false)
      return
    }
    socket = ws
    ws.on('open', () => onOpen(ws))
    ws.on('message', onMessage)
    ws.on('pong', onPong)
    ws.on('error', (err) => {
      lastError = scrubUserinfo(err.message)
      log.debug({ url: redactUrl(url), err: lastError }, 'upstream socket error')
    })
    ws.on('close', () => onClose(ws))
  }

  function finishAttempt() {
    const end = endAttempt
    connecting = null
    endAttempt = null
    end?.()
  }

  function onOpen(ws: WebSocket) {
    if (socket !== ws) return
    if (closed) {
      ws.terminate()
      return
    }
    open = true
    sendFrame = createTickBatcher(ws)
    attempt = 0
    generation++
    lastError = null
    onConnectedChange(true)
    log.info({ url: redactUrl(currentUrl()) }, 'upstream connected')
    alive = true
    heartbeatTimer = setInterval(heartbeat, heartbeatMs)
    heartbeatTimer.unref()
    for (const entry of subs) resubscribe(entry)
    for (const w of openWaiters) w()
    openWaiters.clear()
    finishAttempt()
  }

  function heartbeat() {
    const ws = socket
    if (!ws || !open) return
    if (!alive) {
      log.warn('upstream missed a heartbeat; reconnecting')
      ws.terminate()
      return
    }
    alive = false
    ws.ping()
  }

  function onPong() {
    alive = true
  }

  function onClose(ws: WebSocket) {
    if (socket !== ws) return
    socket = null
    const wasOpen = open
    open = false
    clearInterval(heartbeatTimer)
    onConnectedChange(false)
    byUpstreamId.clear()
    for (const entry of subs) entry.upstreamId = null
    if (pending.size > 0) {
      for (const p of pending.drain()) {
        settleFailure(p, failure('disconnected', lastError ?? undefined), 'disconnected')
      }
    }
    if (wasOpen && !closed) log.warn({ err: lastError }, 'upstream connection lost')
    else urlIndex++ // never opened: try the next ws URL
    finishAttempt()
    scheduleReconnect(wasOpen)
  }

  function scheduleReconnect(wasOpen: boolean) {
    if (closed) return
    const base = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(attempt, 30))
    attempt++
    // Full backoff on repeated failures; "equal jitter" keeps at least half of it.
    const delay = wasOpen
      ? Math.round(reconnectInitialMs * random())
      : Math.round(base / 2 + (base / 2) * random())
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined
      connect()
    }, delay)
    reconnectTimer.unref()
  }

  function settleFailure(p: Pending, err: unknown, outcome: UpstreamOutcome) {
    observe(outcome, (now() - p.started) / 1000)
    p.reject(err)
  }

  function onMessage(data: RawData) {
    alive = true
    let msg: unknown
    try {
      msg = JSON.parse(typeof data === 'string' ? data : data.toString())
    } catch {
      log.warn('upstream sent a frame that is not JSON; ignored')
      return
    }
    if (Array.isArray(msg)) {
      for (const m of msg) onObject(m)
    } else onObject(msg)
  }

  function onObject(msg: unknown) {
    if (typeof msg !== 'object' || msg === null) {
      log.warn('upstream sent a message that is not an object; ignored')
      return
    }
    const m = msg as Record<string, unknown>
    const id = m.id
    if (typeof id === 'number') {
      const p = pending.take(id)
      if (!p) return // timed out or aborted already
      let result: unknown
      try {
        result = settleResponse(m)
      } catch (err) {
        settleFailure(p, err, err instanceof UpstreamRpcError ? 'rpc_error' : 'invalid')
        return
      }
      if (p.sub) {
        if (typeof result !== 'string') {
          settleFailure(p, malformed('eth_subscribe result is not a string'), 'invalid')
          return
        }
        if (p.sub.active) {
          p.sub.upstreamId = result
          byUpstreamId.set(result, p.sub)
        } else sendUnsubscribe(result)
      }
      observe('ok', (now() - p.started) / 1000)
      p.resolve(result)
      return
    }
    if (m.method === 'eth_subscription') {
      const params = m.params as { subscription?: unknown; result?: unknown } | undefined
      if (typeof params !== 'object' || params === null || typeof params.subscription !== 'string') return
      const entry = byUpstreamId.get(params.subscription)
      if (!entry) return
      try {
        entry.onResult(params.result)
      } catch (err) {
        log.warn({ err }, 'subscription callback failed')
      }
    }
  }

  function send(method: string, params: unknown, signal: AbortSignal | undefined, sub?: SubEntry) {
    if (signal?.aborted) {
      observe('aborted', 0)
      return Promise.reject(aborted(signal))
    }
    const ws = socket
    if (closed || !ws) {
      observe('disconnected', 0)
      return Promise.reject(failure('disconnected', lastError ?? undefined))
    }
    const id = nextId++
    let frame: string
    try {
      frame = requestFrame(id, method, params)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<unknown>((resolve, reject) => {
      const started = now()
      pending.add(id, {
        deadline: started + requestTimeoutMs,
        signal,
        resolve,
        reject,
        method,
        started,
        sub,
      })
      // A socket that is closing drops the frame; its 'close' event fails the pending entry.
      if (open) sendFrame(frame)
      else ws.send(frame)
    })
  }

  function sendUnsubscribe(upstreamId: string) {
    if (!open) return Promise.resolve()
    return send('eth_unsubscribe', [upstreamId], undefined).then(
      () => undefined,
      (err) =>
        log.debug({ err: err instanceof Error ? err.message : err }, 'upstream eth_unsubscribe failed'),
    )
  }

  function resubscribe(entry: SubEntry) {
    entry.upstreamId = null
    const gen = generation
    send('eth_subscribe', entry.params, undefined, entry).catch((err) => {
      if (gen === generation && entry.active) {
        log.warn({ err: err instanceof Error ? err.message : err }, 'could not re-establish a subscription')
      }
    })
  }

  async function unsubscribeEntry(entry: SubEntry) {
    if (!entry.active) return
    entry.active = false
    subs.delete(entry)
    const id = entry.upstreamId
    entry.upstreamId = null
    if (id !== null) {
      byUpstreamId.delete(id)
      await sendUnsubscribe(id)
    }
  }

  connect()

  return {
    get open() {
      return open
    },
    get connecting() {
      return connecting
    },
    get lastError() {
      return lastError
    },
    url: () => redactUrl(currentUrl()),
    request: (method, params, signal) => send(method, params, signal),

    async subscribe(params, onResult) {
      if (closed) throw failure('disconnected')
      if (!open && connecting) await connecting
      if (!open) throw failure('disconnected', lastError ?? undefined)
      const entry: SubEntry = { params, onResult, upstreamId: null, active: true }
      const gen = generation
      await send('eth_subscribe', params, undefined, entry)
      if (!entry.active) return { unsubscribe: async () => {} }
      subs.add(entry)
      // The socket dropped (and maybe came back) between the answer and now: that id is gone. Once
      // in `subs`, the next open re-establishes it; if the new socket is already open, do it now.
      if (gen !== generation || !open) {
        if (entry.upstreamId !== null) byUpstreamId.delete(entry.upstreamId)
        entry.upstreamId = null
        if (open) resubscribe(entry)
      }
      return { unsubscribe: () => unsubscribeEntry(entry) }
    },

    whenOpen(fn) {
      if (open) {
        fn()
        return () => {}
      }
      openWaiters.add(fn)
      return () => openWaiters.delete(fn)
    },

    async close() {
      if (closed) return
      closed = true
      clearTimeout(reconnectTimer)
      clearInterval(heartbeatTimer)
      openWaiters.clear()
      for (const entry of subs) entry.active = false
      subs.clear()
      byUpstreamId.clear()
      const ws = socket
      if (ws) {
        // onClose fails whatever is still pending (4901 'disconnected').
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => ws.terminate(), 1000)
          ws.once('close', () => {
            clearTimeout(t)
            resolve()
          })
          if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
          else ws.close(1000)
        })
      }
      finishAttempt()
    },
  }
}

/** Subscriptions need a WebSocket upstream: -32004 for a chain with HTTP URLs only. */
export function subscriptionsUnsupported(chainId: number) {
  return new MethodNotSupportedError({
    message: `Subscriptions need a WebSocket upstream; chain ${chainId} has only HTTP RPC URLs.`,
  })
}
