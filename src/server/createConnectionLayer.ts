import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { InvalidRequestError, ParseError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { createRefusalReporter } from '../ratelimit/createRefusalReporter.js'
import { createTokenBucket } from '../ratelimit/createTokenBucket.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import { visibleAccounts } from '../rpc/permissions.js'
import type { Services } from '../rpc/services.js'
import type { Connection, JsonRpcId, Transport } from '../rpc/types.js'
import { capRefusal } from './capRefusal.js'
import type { ConnectionRegistry, LiveConnection } from './createConnectionRegistry.js'

/** Where a connection's messages go: a WebSocket, an event stream, an admin socket. */
export type ConnectionSink = {
  /** Writes one message (a serialized JSON-RPC response or notification). */
  write(text: string): void
  /** Bytes written but not yet sent (the slow-reader check); 0 when the transport cannot tell. */
  buffered(): number
  /** Ends the connection with a WebSocket-style close code and reason. */
  close(code: number, reason: string): void
  /** Drops the connection at once, without a close handshake. */
  terminate(): void
}

/** What a connection that opened without a token must do before anything else: the handshake. */
export type Authenticator = {
  /** The first message, written as soon as the connection opens (the signed hello). */
  readonly hello: string
  /**
   * Checks the client's first message. `answer` is the serialized response to send either way;
   * on success the connection speaks for `tokenName` from then on.
   */
  verify(
    text: string,
  ): { ok: true; tokenName: string; answer: string } | { ok: false; reason: string; answer: string }
}

export type OpenConnectionOptions = {
  transport: Exclude<Transport, 'http'>
  /** The session key: a normalised origin, or `token:<name>`. */
  origin: string
  /** The token that authorised the connection; null when `authenticator` still has to. */
  tokenName: string | null
  authenticator?: Authenticator
  /**
   * Whether walletd's own pushes (`walletd_state`, `walletd_chainChanged`,
   * `walletd_accountsChanged`) are sent: to clients that speak `walletd.v1`, never to plain
   * JSON-RPC clients, which would not know them. `eth_subscription` goes to every connection.
   */
  pushes: boolean
  sink: ConnectionSink
  /**
   * The pipeline its frames go to (default: the layer's, the RPC pipeline). The admin socket passes
   * its own, over the same budgets, caps and refusals.
   */
  handler?: MessageHandler
  /**
   * Whether it counts in the connection registry (the per-origin and global caps, session pushes,
   * token revocation). Default true; the admin socket's connections are not web connections.
   */
  register?: boolean
}

export type ConnectionHandle = {
  readonly conn: LiveConnection
  /** True once the connection is authenticated (at once when it opened with a token). */
  readonly authenticated: boolean
  /** A frame arrived; its answer is written to the sink. */
  receive(frame: Buffer | string, binary?: boolean): void
  /** A request whose answer goes back another way (an HTTP request on an event stream). */
  request(text: string, signal: AbortSignal): Promise<string | null>
  /** The transport closed. */
  closed(code: number): void
}

export type ConnectionLayer = {
  /** A new connection: registered at once when it has a token, else after its handshake. Null when refused. */
  open(options: OpenConnectionOptions): ConnectionHandle | null
  /** One HTTP request that belongs to no connection (its own short-lived one). */
  requestOnce(
    caller: { origin: string; tokenName: string | null },
    text: string,
    signal: AbortSignal,
  ): Promise<string | null>
  /** Pushes session changes to the connections of their origin; returns the unsubscribe. */
  watchSessions(): () => void
  /** Pushes what changed to every connection (after an unlock). */
  syncAll(): void
  /** Closes every connection, those still in their handshake included (shutdown: 1001). */
  closeAll(code: number, reason: string): void
}

export type ConnectionLayerOptions = {
  services: Services
  handler: MessageHandler
  connections: ConnectionRegistry
  version: string
}

const errorText = (err: unknown, id: JsonRpcId = null) =>
  JSON.stringify({ jsonrpc: '2.0', id, error: toJsonRpcError(err) })

/**
 * The id of a refused frame, so the client can match the -32005 to its request: small frames
 * only (a flood of big ones is answered with id null, cheaply), a single request object only.
 */
function refusedFrameId(frame: Buffer | string, maxIdLength: number): JsonRpcId {
  if (frame.length > 4096) return null
  try {
    // Stryker disable next-line OptionalChaining: JSON `null` then throws, caught below: id null either way
    const id = (JSON.parse(frame.toString()) as { id?: unknown } | null)?.id
    // Finite numbers only (no coercion: Number.isFinite is false for anything else).
    if (Number.isFinite(id)) return id as number
    if (typeof id === 'string' && id.length <= maxIdLength) return id
  } catch {}
  return null
}

type SessionView = { chainId: number; accounts: string }

/**
 * The one per-connection layer under every transport (WebSocket, the event stream and the HTTP
 * requests made on it, plain HTTP requests, the admin socket): connection construction, the
 * handshake gate and its deadline, caps re-checked once the socket exists, the frame budget
 * (`rateLimit.connection`), the in-flight cap, the flood budget, refusal counting and logging,
 * slow-reader protection, session pushes and cleanup on close. Transports only move bytes.
 *
 * Refused frames are counted per frame and logged (warn) once per burst per origin. The flood
 * budget is a token bucket of refusals per connection: it holds 8 frame bursts (at least 1,000
 * refusals) and refills at twice the frame rate. A client that backs off, or overshoots a little,
 * never empties it; one that keeps sending far past its budget does, and is closed (1008).
 */
export function createConnectionLayer({
  services,
  handler,
  connections,
  version,
}: ConnectionLayerOptions): ConnectionLayer {
  const { config, metrics, limiter, now } = services
  const { maxInFlightPerConnection, maxBufferedBytes } = config.connections
  const maxIdLength = config.server.maxIdLength
  const floodCapacity = Math.max(1000, 8 * config.rateLimit.connection.burst)
  const floodRefill = 2 * config.rateLimit.connection.perSecond
  /** Listeners on a connection's abort signal: one or two per request in flight, batches included. */
  const maxSignalListeners = maxInFlightPerConnection * config.server.maxBatchSize * 2
  // Keyed by origin (one flood over many sockets is one burst), one reporter per limit kind.
  const quietMs = config.rateLimit.logQuietMs
  const frameRefusals = createRefusalReporter({ counter: metrics.rateLimited, quietMs, now })
  const inFlightRefusals = createRefusalReporter({ counter: metrics.rateLimited, quietMs, now })
  const httpRefusals = createRefusalReporter({ counter: metrics.rateLimited, quietMs, now })
  /** Every open connection, in its handshake or not, with how to close it. */
  const live = new Map<ConnectionHandle, ConnectionSink>()
  /** Each live connection's session sync (for connections that take walletd's pushes). */
  const syncs = new WeakMap<LiveConnection, () => void>()

  // What the origin may see: its chain, and its granted accounts unless walletd is locked.
  const sessionView = (origin: string): SessionView => {
    const s = services.sessions.view(origin)
    return {
      chainId: s.chainId,
      accounts: visibleAccounts(services, s)
        .map((a) => a.toLowerCase())
        .join(','),
    }
  }
  /** Whether info lines are written (else a connection's child logger need not be made for one). */
  const infoOn = () => services.log.isLevelEnabled('info')
  const accountsOf = (view: SessionView) => (view.accounts === '' ? [] : view.accounts.split(','))
  const hexChain = (chainId: number) => `0x${chainId.toString(16)}`

  function open(options: OpenConnectionOptions): ConnectionHandle | null {
    const { transport, origin, sink, authenticator } = options
    const gauge = metrics.connectionsActive.labels(transport)
    // Made when first needed (an idle connection holds none of them): the signal its requests
    // share, its close handlers, its flood budget (full when made, as it would be by then).
    let abort: AbortController | undefined
    const connSignal = () => {
      if (abort === undefined) {
        abort = new AbortController()
        setMaxListeners(maxSignalListeners, abort.signal)
      }
      return abort.signal
    }
    let closers: Array<() => void> | undefined
    const connId = randomUUID()
    let floodBudget: ReturnType<typeof createTokenBucket> | undefined
    let authenticated = false
    /** The one message allowed before authentication has arrived. */
    let answered = false
    let registered = false
    let closedAlready = false
    /** Set when the layer ended the connection: nothing more is read or written while it closes. */
    let dropped = false
    const drop = (code: number, reason: string) => {
      dropped = true
      sink.close(code, reason)
    }
    let authTimer: ReturnType<typeof setTimeout> | undefined
    let lastView: SessionView | null = null

    const write = (text: string) => {
      if (closedAlready || dropped) return
      if (sink.buffered() > maxBufferedBytes) {
        conn.log.warn({ bufferedAmount: sink.buffered() }, 'closing a slow reader')
        metrics.connectionsTotal.inc({ outcome: 'slow_reader' })
        dropped = true
        sink.terminate()
        return
      }
      sink.write(text)
    }

    let log: LiveConnection['log'] | undefined
    const conn: LiveConnection = {
      id: connId,
      transport,
      origin,
      tokenName: options.tokenName,
      // Its child logger is made at its first line.
      get log() {
        log ??= services.log.child({ connId, origin })
        return log
      },
      notify: (message: object) => write(JSON.stringify(message)),
      onClose(fn) {
        if (conn.closed) fn()
        else {
          closers ??= []
          closers.push(fn)
        }
      },
      closed: false,
      inFlight: 0,
      close: (code, reason) => drop(code, reason),
    }

    /** Sends what changed in the session since the last push (everything, the first time). */
    const sync = () => {
      const view = sessionView(origin)
      const previous = lastView
      lastView = view
      if (previous === null) {
        write(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'walletd_state',
            params: [
              {
                chainId: hexChain(view.chainId),
                networkVersion: String(view.chainId),
                accounts: accountsOf(view),
                version,
              },
            ],
          }),
        )
        return
      }
      if (view.chainId !== previous.chainId) {
        write(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'walletd_chainChanged',
            params: [{ chainId: hexChain(view.chainId), networkVersion: String(view.chainId) }],
          }),
        )
      }
      if (view.accounts !== previous.accounts) {
        write(
          JSON.stringify({ jsonrpc: '2.0', method: 'walletd_accountsChanged', params: [accountsOf(view)] }),
        )
      }
    }

    /** Joins the registry (caps re-checked: concurrent upgrades may have raced the guard). */
    const listed = options.register !== false
    const pipeline = options.handler ?? handler
    const register = (): boolean => {
      if (!listed) {
        authenticated = true
        if (infoOn()) conn.log.info({ transport }, 'connection opened')
        return true
      }
      // All caps again (global, per token — known only now for a handshake —, per domain, per origin).
      if (capRefusal(connections, config.connections, conn)) {
        metrics.connectionsTotal.inc({ outcome: 'cap_race' })
        drop(1013, 'too many connections')
        return false
      }
      authenticated = true
      registered = true
      connections.add(conn)
      gauge.inc()
      metrics.connectionsTotal.inc({ outcome: 'accepted' })
      if (infoOn()) conn.log.info({ transport, tokenName: conn.tokenName }, 'connection opened')
      if (options.pushes) {
        syncs.set(conn, sync)
        sync()
      }
      return true
    }

    /** The first message of a connection that has not authenticated yet. */
    /** `toSink`: the answer goes to the connection (a frame); else it is returned (an HTTP request's answer). */
    const authenticate = (text: string, toSink: boolean): string => {
      answered = true
      clearTimeout(authTimer)
      connections.removePending()
      const verdict = authenticator!.verify(text)
      if (!verdict.ok) {
        metrics.connectionsTotal.inc({ outcome: 'auth_failed' })
        conn.log.info({ reason: verdict.reason }, 'handshake failed')
        if (toSink) write(verdict.answer)
        drop(1008, 'authentication failed')
        return verdict.answer
      }
      ;(conn as { tokenName: string | null }).tokenName = verdict.tokenName
      // The answer first: the client learns it is in before the state push arrives.
      if (toSink) sink.write(verdict.answer)
      register()
      return verdict.answer
    }

    /** Frame budget, flood budget and in-flight cap: the refusal to answer, or null to go on. */
    const admit = (frame: Buffer | string): string | null => {
      const verdict = limiter.takeFrame(connId)
      if (!verdict.ok) {
        // A client that keeps sending far past its refusals is flooding: answering it any longer
        // only spends the daemon's time, so the connection is closed.
        floodBudget ??= createTokenBucket({ capacity: floodCapacity, refillPerSecond: floodRefill, now })
        if (floodBudget.take() > 0) {
          metrics.rateLimited.inc({ limit: verdict.limit })
          metrics.connectionsTotal.inc({ outcome: 'closed_flooding' })
          conn.log.warn('closing a connection that keeps flooding after refusals')
          drop(1008, 'rate limit exceeded')
          return ''
        }
        const err = frameRefusals.refuse({
          key: origin,
          limit: verdict.limit,
          retryAfterMs: verdict.retryAfterMs,
          log: conn.log,
        })
        return errorText(err, refusedFrameId(frame, maxIdLength))
      }
      if (conn.inFlight >= maxInFlightPerConnection) {
        const err = inFlightRefusals.refuse({
          key: origin,
          limit: 'inflight',
          retryAfterMs: 100,
          log: conn.log,
          message: `Too many requests in flight on this connection (at most ${maxInFlightPerConnection}).`,
          fields: { maxInFlight: maxInFlightPerConnection },
        })
        return errorText(err, refusedFrameId(frame, maxIdLength))
      }
      return null
    }

    const run = async (text: string, signal: AbortSignal): Promise<string | null> => {
      conn.inFlight++
      try {
        return await pipeline.handleText(text, conn, signal)
      } catch (err) {
        // handleText never rejects; this is a last line of defence.
        conn.log.error({ err }, 'message handler failed')
        return errorText(new InvalidRequestError())
      } finally {
        conn.inFlight--
      }
    }

    const handle: ConnectionHandle = {
      conn,
      get authenticated() {
        return authenticated
      },
      receive(frame, binary = false) {
        if (closedAlready || dropped) return
        if (!authenticated) {
          // Stryker disable next-line ConditionalExpression,LogicalOperator,BooleanLiteral: unreachable guard: a connection that answered is authenticated or dropped, and one without a token has an authenticator
          if (answered || !authenticator) return
          authenticate(frame.toString(), true)
          return
        }
        if (binary) {
          write(
            errorText(
              new ParseError({ message: 'Parse error: binary frames are not accepted; send JSON text.' }),
            ),
          )
          return
        }
        const refusal = admit(frame)
        if (refusal !== null) {
          // Stryker disable next-line ConditionalExpression,StringLiteral: '' means the connection was dropped, and a write after a drop is a no-op
          if (refusal !== '') write(refusal)
          return
        }
        const text = frame.toString()
        void run(text, connSignal()).then((out) => {
          if (out !== null) write(out)
        })
      },
      async request(text, signal) {
        if (closedAlready || dropped)
          return errorText(new InvalidRequestError({ message: 'The connection is closed.' }))
        if (!authenticated) {
          // Stryker disable next-line ConditionalExpression,LogicalOperator,BooleanLiteral: unreachable guard, as in receive
          if (answered || !authenticator) return errorText(new InvalidRequestError())
          return authenticate(text, false)
        }
        const refusal = admit(text)
        if (refusal !== null) return refusal === '' ? errorText(new InvalidRequestError()) : refusal
        return run(text, AbortSignal.any([signal, connSignal()]))
      },
      closed(code) {
        if (closedAlready) return
        closedAlready = true
        live.delete(handle)
        ;(conn as { closed: boolean }).closed = true
        clearTimeout(authTimer)
        abort?.abort(new Error('connection closed'))
        limiter.releaseConnection(connId)
        if (registered) {
          connections.remove(conn)
          gauge.dec()
        } else if (authenticator && !answered) {
          connections.removePending()
        }
        for (const fn of closers?.splice(0) ?? []) {
          try {
            fn()
          } catch (err) {
            conn.log.error({ err }, 'close handler failed')
          }
        }
        if (registered && infoOn()) conn.log.info({ code }, 'connection closed')
      },
    }

    if (options.tokenName !== null) {
      if (!register()) return null
      live.set(handle, sink)
      return handle
    }
    live.set(handle, sink)
    if (!authenticator) throw new Error('a connection without a token needs an authenticator')
    connections.addPending()
    authTimer = setTimeout(() => {
      metrics.connectionsTotal.inc({ outcome: 'auth_timeout' })
      conn.log.info('handshake not finished in time')
      drop(1008, 'authentication timeout')
    }, config.server.authTimeoutMs)
    authTimer.unref()
    sink.write(authenticator.hello)
    return handle
  }

  async function requestOnce(
    caller: { origin: string; tokenName: string | null },
    text: string,
    signal: AbortSignal,
  ): Promise<string | null> {
    const closers: Array<() => void> = []
    // Its id and child logger are made only if something asks (a log line, a subscription).
    let connId: string | undefined
    let log: Connection['log'] | undefined
    const conn: Connection = {
      get id() {
        connId ??= randomUUID()
        return connId
      },
      transport: 'http',
      origin: caller.origin,
      tokenName: caller.tokenName,
      get log() {
        log ??= services.log.child({ connId: conn.id, origin: caller.origin })
        return log
      },
      notify: undefined,
      onClose: (fn) => closers.push(fn),
      closed: false,
      inFlight: 1,
    }
    // HTTP has no connection: the frame budget is the origin's (its bucket key is the origin
    // string itself, which never meets a WebSocket connection's key, a randomUUID without ':').
    const verdict = limiter.takeFrame(caller.origin)
    let out: string | null
    if (!verdict.ok) {
      out = errorText(
        httpRefusals.refuse({
          key: caller.origin,
          limit: verdict.limit,
          retryAfterMs: verdict.retryAfterMs,
          log: conn.log,
        }),
      )
    } else {
      out = await handler.handleText(text, conn, signal)
    }
    ;(conn as { closed: boolean }).closed = true
    for (const fn of closers.splice(0)) fn()
    return out
  }

  /** Pushes what changed to every connection (an unlock: granted sessions see their accounts again). */
  function syncAll(): void {
    for (const conn of connections.all()) syncs.get(conn)?.()
  }

  function watchSessions(): () => void {
    // A chain switch or a revoke drops the origin's subscriptions; every connection of the origin
    // that takes walletd's pushes gets what really changed.
    return services.sessions.onChange((change) => {
      if (change.kind === 'chainChanged' || change.accounts.length === 0) {
        services.subscriptions.dropOrigin(change.origin)
      }
      for (const conn of connections.forOrigin(change.origin)) syncs.get(conn)?.()
    })
  }

  function closeAll(code: number, reason: string) {
    for (const sink of [...live.values()]) sink.close(code, reason)
  }

  return { open, requestOnce, watchSessions, syncAll, closeAll }
}
