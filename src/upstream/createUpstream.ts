import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { UpstreamRpcError } from '../errors/rpc.js'
import type { Metrics } from '../metrics.js'
import { createHttpTransport, type HttpTransport } from './createHttpTransport.js'
import { createUpstreamErrors, UPSTREAM_OUTCOMES, type UpstreamOutcome } from './createUpstreamErrors.js'
import { createWsTransport, subscriptionsUnsupported, type WsTransport } from './createWsTransport.js'
import { redactUrl } from './redactUrl.js'
import type { Upstream, UpstreamStatus } from './types.js'

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

/**
 * One chain's upstream node: a small facade over its transports (as viem's `fallback` over
 * `webSocket` and `http`). The WebSocket transport (`createWsTransport`) carries requests and
 * subscriptions while it is open; the HTTP transport (`createHttpTransport`) is the fallback while
 * the socket is down, or the only transport when the chain has no ws(s) URL. While the first
 * connection attempt runs and there is no HTTP URL, requests wait for it (bounded by
 * `connectTimeoutMs`).
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
  const log = parentLog.child({ chainId })
  const errors = createUpstreamErrors(chainId, options.requestTimeoutMs)
  const { failure } = errors

  // One histogram child per outcome, resolved once: the hot path does no label lookup.
  const chainLabel = String(chainId)
  const observers = new Map<UpstreamOutcome, { observe(value: number): void }>()
  for (const o of UPSTREAM_OUTCOMES) observers.set(o, metrics.upstreamDuration.labels(chainLabel, o))
  const observe = (outcome: UpstreamOutcome, seconds: number) => observers.get(outcome)!.observe(seconds)
  const connectedGauge = metrics.upstreamConnected.labels(chainLabel)
  connectedGauge.set(0)

  let closed = false
  const http: HttpTransport | null =
    httpUrl === undefined
      ? null
      : createHttpTransport({
          url: httpUrl,
          options,
          errors,
          observe,
          // With a WebSocket, the gauge follows the socket; HTTP alone, the last request.
          onReachableChange: (up) => {
            if (wsUrls.length === 0) connectedGauge.set(up ? 1 : 0)
          },
        })
  const ws: WsTransport | null =
    wsUrls.length === 0
      ? null
      : createWsTransport({
          urls: wsUrls,
          log,
          options,
          errors,
          observe,
          onConnectedChange: (up) => connectedGauge.set(up ? 1 : 0),
          heartbeatMs,
          random,
        })

  function request(method: string, params: unknown, opts?: { signal?: AbortSignal }): Promise<unknown> {
    const signal = opts?.signal
    if (ws?.open) return ws.request(method, params, signal)
    if (closed) {
      observe('disconnected', 0)
      return Promise.reject(failure('disconnected'))
    }
    if (http) return http.request(method, params, signal)
    const attempt = ws?.connecting
    if (attempt) {
      // The first (or a re-) connection attempt is running: wait for it, bounded by connectTimeoutMs.
      return attempt.then(() => {
        if (ws!.open) return ws!.request(method, params, signal)
        observe('unreachable', 0)
        throw failure('unreachable', ws!.lastError ?? undefined)
      })
    }
    observe('disconnected', 0)
    return Promise.reject(failure('disconnected', ws?.lastError ?? undefined))
  }

  function ready(): Promise<void> {
    if (closed) return Promise.reject(failure('disconnected'))
    if (ws?.open) return Promise.resolve()
    const probeHttp = () =>
      http!.request('eth_chainId', [], AbortSignal.timeout(options.connectTimeoutMs)).then(
        () => undefined,
        (err) => {
          throw err instanceof UpstreamRpcError ? err : failure('unreachable', http!.lastError ?? undefined)
        },
      )
    if (!ws) return probeHttp()
    return new Promise<void>((resolve, reject) => {
      const cancel = ws.whenOpen(() => {
        clearTimeout(timer)
        resolve()
      })
      const timer = setTimeout(() => {
        cancel()
        if (http && !closed) probeHttp().then(resolve, reject)
        else reject(failure('unreachable', ws.lastError ?? undefined))
      }, options.connectTimeoutMs) // not unref'd: start-up awaiting this must not see the event loop run dry
    })
  }

  function status(): UpstreamStatus {
    const onWs = ws !== null && (ws.open || !http)
    return {
      chainId,
      url: onWs ? ws.url() : redactUrl(httpUrl!),
      transport: onWs ? 'ws' : 'http',
      connected: ws?.open === true || (!ws && http?.reachable === true),
      lastError: ws?.lastError ?? http?.lastError ?? null,
    }
  }

  return {
    chainId,
    url: redactUrl(wsUrls[0] ?? httpUrl!),
    supportsSubscriptions: ws !== null,
    request,
    async subscribe(params, onResult) {
      if (!ws) throw subscriptionsUnsupported(chainId)
      return ws.subscribe(params, onResult)
    },
    status,
    ready,
    async close() {
      if (closed) return
      closed = true
      await Promise.all([ws?.close(), http?.close()])
      connectedGauge.set(0)
    },
  }
}
