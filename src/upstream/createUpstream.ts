import type { Logger } from 'pino'
import { Pool } from 'undici'
import { type RawData, WebSocket } from 'ws'
import type { Config } from '../config/schema.js'
import {
  ChainDisconnectedError,
  InternalError,
  MethodNotSupportedError,
  RpcError,
  UpstreamRpcError,
} from '../errors/rpc.js'
import type { Metrics } from '../metrics.js'
import { createTickBatcher } from '../util/createTickBatcher.js'
import { redactUrl, scrubUserinfo } from './redactUrl.js'
import type { Upstream, UpstreamStatus, UpstreamSubscription } from './types.js'

export type UpstreamOptions = Config['upstream']

export type CreateUpstreamParameters = {
  chainId: number
  /** The chain's rpcUrls: ws(s) URLs are used first (subscriptions), the first http(s) URL as fallback. */
  urls: readonly string[]
  log: Logger
  metrics: Metrics
  options: UpstreamOptions
  /** WebSocket ping interval; a socket that has not answered the previous ping is dropped. */
  heartbeatMs?: number
  /** For the reconnect jitter (tests pass a fixed one). */
  random?: () => number
}

/** Why an upstream request failed without an answer from the node (`data.reason` of the 4901). */
export type UpstreamFailureReason = 'timeout' | 'unreachable' | 'disconnected'

type Outcome = 'ok' | 'rpc_error' | 'invalid' | 'aborted' | UpstreamFailureReason
type Observer = { observe(value: number): void }

type SubEntry = {
  readonly params: readonly unknown[]
  readonly onResult: (result: unknown) => void
  upstreamId: string | null
  active: boolean
}

type Pending = {
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout
  method: string
  started: number
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  /** Set for `eth_subscribe`: the result is mapped synchronously, before any notification is routed. */
  sub: SubEntry | undefined
}

const TIMEOUT = Symbol('timeout')

/**
 * One chain's upstream node. Over one persistent WebSocket when a ws(s) URL is configured: walletd's
 * own integer ids (the client's never reach the node), a pending map with a per-request timeout,
 * reconnect with exponential backoff and jitter, pending requests rejected (4901) when the socket
 * drops, and subscriptions re-established after a reconnect under the same caller-side handle.
 * Over an undici keep-alive `Pool` when only http(s) URLs exist, or while the socket is down.
 *
 * Errors: the node's JSON-RPC error → `UpstreamRpcError` (relayed unchanged); no answer →
 * `ChainDisconnectedError` (4901, `data.reason` timeout | unreachable | disconnected); a malformed
 * answer → `InternalError`. Client-facing messages never contain an upstream URL; logs get it
 * without userinfo.
 */
export function createUpstream({
  chainId,
  urls,
  log: parentLog,
  metrics,
  options,
  heartbeatMs = 15_000,
  random = Math.random,
}: CreateUpstreamParameters): Upstream {
  const wsUrls = urls.filter((u) => /^wss?:/i.test(u))
  const httpUrl = urls.find((u) => /^https?:/i.test(u))
  if (wsUrls.length === 0 && httpUrl === undefined) {
    throw new Error(`chain ${chainId}: no usable upstream URL (expected ws(s) or http(s))`)
  }
  const chainHex = `0x${chainId.toString(16)}`
  const primaryUrl = redactUrl(wsUrls[0] ?? httpUrl!)
  const log = parentLog.child({ chainId })
  const { requestTimeoutMs, connectTimeoutMs, reconnectInitialMs, reconnectMaxMs } = options

  // Cached label children: the hot path does no label hashing.
  const chainLabel = String(chainId)
  const outcomes = {} as Record<Outcome, Observer>
  for (const o of [
    'ok',
    'rpc_error',
    'invalid',
    'aborted',
    'timeout',
    'unreachable',
    'disconnected',
  ] as const) {
    outcomes[o] = metrics.upstreamDuration.labels(chainLabel, o)
  }
  const connectedGauge = metrics.upstreamConnected.labels(chainLabel)
  connectedGauge.set(0)

  let closed = false
  let lastError: string | null = null

  function failure(reason: UpstreamFailureReason, detail?: string, method?: string): RpcError {
    const message =
      reason === 'timeout'
        ? `The upstream of chain ${chainId} did not answer ${method ?? 'the request'} within ${requestTimeoutMs} ms.`
        : reason === 'unreachable'
          ? `The upstream of chain ${chainId} is unreachable.`
          : `The connection to the upstream of chain ${chainId} was lost.`
    return new ChainDisconnectedError({
      message,
      data: { chainId: chainHex, reason },
      details: detail === undefined ? undefined : scrubUserinfo(detail),
    })
  }

  function malformed(detail: string): RpcError {
    return new InternalError({
      message: `The upstream of chain ${chainId} sent a malformed answer.`,
      details: scrubUserinfo(detail),
    })
  }

  function aborted(signal: AbortSignal): unknown {
    return signal.reason instanceof RpcError
      ? signal.reason
      : new InternalError({ message: 'Request aborted.' })
  }

  /** Turns one JSON-RPC response object into the result, or throws the matching error. */
  function settleResponse(msg: Record<string, unknown>): unknown {
    const error = msg.error
    if (error !== undefined) {
      if (
        typeof error === 'object' &&
        error !== null &&
        Number.isInteger((error as { code?: unknown }).code) &&
        typeof (error as { message?: unknown }).message === 'string'
      ) {
        const e = error as { code: number; message: string; data?: unknown }
        throw new UpstreamRpcError(e.code, e.message, e.data)
      }
      throw malformed('error member is not a JSON-RPC error object')
    }
    if (!('result' in msg)) throw malformed('response has neither result nor error')
    return msg.result
  }

  // ---------------------------------------------------------------- WebSocket

  let socket: WebSocket | null = null
  /** Sends on the open socket, one write per tick (set on open). */
  let sendFrame: (frame: string) => void = () => {}
  let open = false
  let wsIndex = 0
  let attempt = 0
  let nextId = 1
  let generation = 0
  let reconnectTimer: NodeJS.Timeout | undefined
  let heartbeatTimer: NodeJS.Timeout | undefined
  let alive = true
  /** Resolves when the current connection attempt ends (opened or failed); null when none runs. */
  let connecting: Promise<void> | null = null
  let endAttempt: (() => void) | null = null
  const pending = new Map<number, Pending>()
  const subs = new Set<SubEntry>()
  const byUpstreamId = new Map<string, SubEntry>()
  const readyWaiters = new Set<() => void>()

  function connect() {
    if (closed || wsUrls.length === 0) return
    const url = wsUrls[wsIndex % wsUrls.length]!
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
    connectedGauge.set(1)
    log.info({ url: redactUrl(wsUrls[wsIndex % wsUrls.length]!) }, 'upstream connected')
    alive = true
    heartbeatTimer = setInterval(heartbeat, heartbeatMs)
    heartbeatTimer.unref()
    for (const entry of subs) resubscribe(entry)
    for (const w of readyWaiters) w()
    readyWaiters.clear()
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
    connectedGauge.set(0)
    byUpstreamId.clear()
    for (const entry of subs) entry.upstreamId = null
    if (pending.size > 0) {
      for (const [id, p] of pending) {
        pending.delete(id)
        settleFailure(p, failure('disconnected', lastError ?? undefined), 'disconnected')
      }
    }
    if (wasOpen && !closed) log.warn({ err: lastError }, 'upstream connection lost')
    else wsIndex++ // never opened: try the next ws URL
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

  function settleFailure(p: Pending, err: unknown, outcome: Outcome) {
    clearTimeout(p.timer)
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort)
    outcomes[outcome].observe((performance.now() - p.started) / 1000)
    p.reject(err)
  }

  function onTimeout(id: number) {
    const p = pending.get(id)
    if (!p) return
    pending.delete(id)
    settleFailure(p, failure('timeout', undefined, p.method), 'timeout')
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
      const p = pending.get(id)
      if (!p) return // timed out or aborted already
      pending.delete(id)
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
      clearTimeout(p.timer)
      if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort)
      outcomes.ok.observe((performance.now() - p.started) / 1000)
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

  function wsRequest(method: string, params: unknown, signal: AbortSignal | undefined, sub?: SubEntry) {
    if (signal?.aborted) {
      outcomes.aborted.observe(0)
      return Promise.reject(aborted(signal))
    }
    const id = nextId++
    let frame: string
    try {
      frame = `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params ?? [])}}`
    } catch (err) {
      return Promise.reject(
        new InternalError({ message: 'Request parameters cannot be serialized.', cause: err }),
      )
    }
    const ws = socket!
    return new Promise<unknown>((resolve, reject) => {
      const p: Pending = {
        resolve,
        reject,
        timer: setTimeout(onTimeout, requestTimeoutMs, id),
        method,
        started: performance.now(),
        signal,
        onAbort: undefined,
        sub,
      }
      if (signal) {
        p.onAbort = () => {
          if (pending.delete(id)) settleFailure(p, aborted(signal), 'aborted')
        }
        signal.addEventListener('abort', p.onAbort, { once: true })
      }
      pending.set(id, p)
      // A socket that is closing drops the frame; its 'close' event rejects the pending entry.
      if (ws === socket && open) sendFrame(frame)
      else ws.send(frame)
    })
  }

  function sendUnsubscribe(upstreamId: string) {
    if (!open) return Promise.resolve()
    return wsRequest('eth_unsubscribe', [upstreamId], undefined).then(
      () => undefined,
      (err) =>
        log.debug({ err: err instanceof Error ? err.message : err }, 'upstream eth_unsubscribe failed'),
    )
  }

  function resubscribe(entry: SubEntry) {
    entry.upstreamId = null
    const gen = generation
    wsRequest('eth_subscribe', entry.params, undefined, entry).catch((err) => {
      if (gen === generation && entry.active) {
        log.warn({ err: err instanceof Error ? err.message : err }, 'could not re-establish a subscription')
      }
    })
  }

  async function subscribe(
    params: readonly unknown[],
    onResult: (result: unknown) => void,
  ): Promise<UpstreamSubscription> {
    if (wsUrls.length === 0) {
      throw new MethodNotSupportedError({
        message: `Subscriptions need a WebSocket upstream; chain ${chainId} has only HTTP RPC URLs.`,
      })
    }
    if (closed) throw failure('disconnected')
    if (!open && connecting) await connecting
    if (!open) throw failure('disconnected', lastError ?? undefined)
    const entry: SubEntry = { params, onResult, upstreamId: null, active: true }
    const gen = generation
    await wsRequest('eth_subscribe', params, undefined, entry)
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

  // ---------------------------------------------------------------- HTTP

  let httpPool: Pool | null = null
  let httpPath = '/'
  const httpHeaders: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  }
  let httpUp = false
  if (httpUrl !== undefined) {
    const u = new URL(httpUrl)
    httpPath = u.pathname + u.search
    if (u.username || u.password) {
      const user = decodeURIComponent(u.username)
      const pass = decodeURIComponent(u.password)
      httpHeaders.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
    }
    httpPool = new Pool(u.origin, {
      connections: options.httpConnections,
      connectTimeout: connectTimeoutMs,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
    })
  }

  function setHttpUp(up: boolean) {
    if (httpUp === up) return
    httpUp = up
    if (wsUrls.length === 0) connectedGauge.set(up ? 1 : 0)
  }

  async function httpRequest(
    method: string,
    params: unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const started = performance.now()
    if (signal?.aborted) {
      outcomes.aborted.observe(0)
      throw aborted(signal)
    }
    let body: string
    try {
      body = `{"jsonrpc":"2.0","id":1,"method":${JSON.stringify(method)},"params":${JSON.stringify(params ?? [])}}`
    } catch (err) {
      throw new InternalError({ message: 'Request parameters cannot be serialized.', cause: err })
    }
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(TIMEOUT), requestTimeoutMs)
    const onAbort = () => ac.abort(signal!.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    let outcome: Outcome = 'ok'
    try {
      let status: number
      let text: string
      try {
        const res = await httpPool!.request({
          path: httpPath,
          method: 'POST',
          headers: httpHeaders,
          body,
          signal: ac.signal,
        })
        status = res.statusCode
        text = await res.body.text()
      } catch (err) {
        if (ac.signal.aborted && ac.signal.reason === TIMEOUT) {
          outcome = 'timeout'
          throw failure('timeout', undefined, method)
        }
        if (signal?.aborted) {
          outcome = 'aborted'
          throw aborted(signal)
        }
        const code = (err as { code?: unknown }).code
        const detail = scrubUserinfo(
          err instanceof Error ? `${code ?? err.name}: ${err.message}` : String(err),
        )
        lastError = detail
        setHttpUp(false)
        if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
          outcome = 'timeout'
          throw failure('timeout', detail, method)
        }
        outcome = closed ? 'disconnected' : 'unreachable'
        throw failure(outcome, detail)
      }
      let msg: unknown
      try {
        msg = JSON.parse(text)
      } catch {
        msg = undefined
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        if (status >= 200 && status < 300) {
          outcome = 'invalid'
          throw malformed(`HTTP ${status} with a body that is not a JSON-RPC response`)
        }
        lastError = `HTTP ${status}`
        setHttpUp(false)
        outcome = 'unreachable'
        throw failure('unreachable', `HTTP ${status}`)
      }
      setHttpUp(true)
      try {
        return settleResponse(msg as Record<string, unknown>)
      } catch (err) {
        outcome = err instanceof UpstreamRpcError ? 'rpc_error' : 'invalid'
        throw err
      }
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      outcomes[outcome].observe((performance.now() - started) / 1000)
    }
  }

  // ---------------------------------------------------------------- Upstream

  function request(method: string, params: unknown, opts?: { signal?: AbortSignal }): Promise<unknown> {
    if (open) return wsRequest(method, params, opts?.signal)
    if (closed) {
      outcomes.disconnected.observe(0)
      return Promise.reject(failure('disconnected'))
    }
    if (httpPool) return httpRequest(method, params, opts?.signal)
    if (connecting) {
      // The first (or a re-) connection attempt is running: wait for it, bounded by connectTimeoutMs.
      return connecting.then(() => {
        if (open) return wsRequest(method, params, opts?.signal)
        outcomes.unreachable.observe(0)
        throw failure('unreachable', lastError ?? undefined)
      })
    }
    outcomes.disconnected.observe(0)
    return Promise.reject(failure('disconnected', lastError ?? undefined))
  }

  function ready(): Promise<void> {
    if (closed) return Promise.reject(failure('disconnected'))
    if (open) return Promise.resolve()
    const probeHttp = () =>
      httpRequest('eth_chainId', [], AbortSignal.timeout(connectTimeoutMs)).then(
        () => undefined,
        (err) => {
          throw err instanceof UpstreamRpcError ? err : failure('unreachable', lastError ?? undefined)
        },
      )
    if (wsUrls.length === 0) return probeHttp()
    return new Promise<void>((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        readyWaiters.delete(waiter)
        if (httpPool && !closed) probeHttp().then(resolve, reject)
        else reject(failure('unreachable', lastError ?? undefined))
      }, connectTimeoutMs) // not unref'd: start-up awaiting this must not see the event loop run dry
      readyWaiters.add(waiter)
    })
  }

  function status(): UpstreamStatus {
    const ws = open || (wsUrls.length > 0 && !httpPool)
    return {
      chainId,
      url: ws ? redactUrl(wsUrls[wsIndex % wsUrls.length]!) : redactUrl(httpUrl!),
      transport: ws ? 'ws' : 'http',
      connected: open || (wsUrls.length === 0 && httpUp),
      lastError,
    }
  }

  async function close() {
    if (closed) return
    closed = true
    clearTimeout(reconnectTimer)
    clearInterval(heartbeatTimer)
    readyWaiters.clear()
    for (const entry of subs) entry.active = false
    subs.clear()
    byUpstreamId.clear()
    const ws = socket
    if (ws) {
      // onClose rejects whatever is still pending (4901 'disconnected').
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
    connectedGauge.set(0)
    await httpPool?.destroy()
  }

  connect()

  return {
    chainId,
    url: primaryUrl,
    supportsSubscriptions: wsUrls.length > 0,
    request,
    subscribe,
    status,
    ready,
    close,
  }
}
