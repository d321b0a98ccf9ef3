import type { Dispatcher, Pool } from 'undici'
import type { Config } from '../config/schema.js'
import { UpstreamRpcError } from '../errors/rpc.js'
import { createPendingTable, sweepTickFor } from './createPendingTable.js'
import { requestFrame, type UpstreamErrors, type UpstreamOutcome } from './createUpstreamErrors.js'
import { scrubUserinfo } from './redactUrl.js'

export type CreateHttpTransportParameters = {
  /** The http(s) URL; userinfo becomes a Basic authorization header. */
  url: string
  options: Config['upstream']
  errors: UpstreamErrors
  /** Records one request's outcome and duration (seconds). */
  observe(outcome: UpstreamOutcome, seconds: number): void
  /** Told when a request reached the node (true) or could not (false). */
  onReachableChange(reachable: boolean): void
  now?: () => number
}

export type HttpTransport = {
  /** The last request reached the node. */
  readonly reachable: boolean
  readonly lastError: string | null
  request(method: string, params: unknown, signal: AbortSignal | undefined): Promise<unknown>
  close(): Promise<void>
}

type Pending = {
  readonly deadline: number
  readonly signal: AbortSignal | undefined
  readonly method: string
  readonly started: number
  /** Fails the request at once (the deadline passed, or the caller's signal aborted). */
  fail(err: unknown, outcome: UpstreamOutcome): void
}

/**
 * One chain's upstream over HTTP POST: an undici keep-alive `Pool` of `httpConnections`
 * connections to the URL's origin, created on the first request (undici itself is loaded then,
 * so a daemon with a WebSocket upstream never loads it). Each request is dispatched with a small
 * handler that collects the body — no response stream, no AbortController — and sits in a pending
 * table until it settles: its deadline is swept by one timer, the caller's signal is hooked once
 * per signal, and either cancels the request through the handler's abort.
 */
export function createHttpTransport({
  url,
  options,
  errors,
  observe,
  onReachableChange,
  now = () => performance.now(),
}: CreateHttpTransportParameters): HttpTransport {
  const { requestTimeoutMs, connectTimeoutMs, httpConnections } = options
  const { failure, malformed, aborted, settleResponse } = errors
  const u = new URL(url)
  const path = u.pathname + u.search
  const origin = u.origin
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  }
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username)
    const pass = decodeURIComponent(u.password)
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
  }

  let pool: Promise<Pool> | null = null
  let closed = false
  let reachable = false
  let lastError: string | null = null
  let nextId = 1
  const pending = createPendingTable<number, Pending>({
    tickMs: sweepTickFor(requestTimeoutMs),
    now,
    onExpired: (p) => p.fail(failure('timeout', undefined, p.method), 'timeout'),
    onAborted: (p, signal) => p.fail(aborted(signal), 'aborted'),
  })

  function setReachable(up: boolean) {
    if (reachable === up) return
    reachable = up
    onReachableChange(up)
  }

  function poolOf(): Promise<Pool> {
    pool ??= import('../util/undici.js').then(
      ({ Pool }) =>
        new Pool(origin, {
          connections: httpConnections,
          connectTimeout: connectTimeoutMs,
          headersTimeout: requestTimeoutMs,
          bodyTimeout: requestTimeoutMs,
        }),
    )
    return pool
  }

  async function request(method: string, params: unknown, signal: AbortSignal | undefined) {
    if (signal?.aborted) {
      observe('aborted', 0)
      throw aborted(signal)
    }
    if (closed) {
      observe('disconnected', 0)
      throw failure('disconnected')
    }
    const body = requestFrame(1, method, params)
    const dispatcher = await poolOf()
    return new Promise<unknown>((resolve, reject) => {
      const id = nextId++
      const started = now()
      let settled = false
      let abort: ((reason?: Error) => void) | null = null
      let status = 0
      const chunks: Buffer[] = []
      const finish = (outcome: UpstreamOutcome, err: unknown, value?: unknown) => {
        if (settled) return
        settled = true
        pending.take(id)
        observe(outcome, (now() - started) / 1000)
        if (outcome === 'ok') resolve(value)
        else reject(err)
      }
      const entry: Pending = {
        deadline: started + requestTimeoutMs,
        signal,
        method,
        started,
        fail(err, outcome) {
          finish(outcome, err)
          abort?.(new Error(outcome))
        },
      }
      pending.add(id, entry)
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          if (settled) controller.abort(new Error('cancelled'))
          else abort = (reason) => controller.abort(reason ?? new Error('cancelled'))
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk)
        },
        onResponseEnd() {
          if (settled) return
          const text = Buffer.concat(chunks).toString('utf8')
          let msg: unknown
          try {
            msg = JSON.parse(text)
          } catch {
            msg = undefined
          }
          if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
            if (status >= 200 && status < 300) {
              finish('invalid', malformed(`HTTP ${status} with a body that is not a JSON-RPC response`))
              return
            }
            lastError = `HTTP ${status}`
            setReachable(false)
            finish('unreachable', failure('unreachable', `HTTP ${status}`))
            return
          }
          setReachable(true)
          let result: unknown
          try {
            result = settleResponse(msg as Record<string, unknown>)
          } catch (err) {
            finish(err instanceof UpstreamRpcError ? 'rpc_error' : 'invalid', err)
            return
          }
          finish('ok', undefined, result)
        },
        onResponseError(_controller, err) {
          if (settled) return
          const code = (err as { code?: unknown }).code
          const detail = scrubUserinfo(`${code ?? err.name}: ${err.message}`)
          lastError = detail
          setReachable(false)
          if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
            finish('timeout', failure('timeout', detail, method))
            return
          }
          const outcome = closed ? 'disconnected' : 'unreachable'
          finish(outcome, failure(outcome, detail))
        },
      }
      try {
        dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, handler)
      } catch (err) {
        lastError = scrubUserinfo(err instanceof Error ? err.message : String(err))
        finish('unreachable', failure('unreachable', lastError))
      }
    })
  }

  return {
    get reachable() {
      return reachable
    },
    get lastError() {
      return lastError
    },
    request,
    async close() {
      if (closed) return
      closed = true
      for (const p of pending.drain()) p.fail(failure('disconnected'), 'disconnected')
      if (pool) await (await pool).destroy()
    },
  }
}
