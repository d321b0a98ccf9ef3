import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { InvalidRequestError, LimitExceededError, ParseError } from '../../errors/rpc.js'
import { toJsonRpcError } from '../../errors/toJsonRpcError.js'
import { createRefusalLog } from '../../ratelimit/createRefusalLog.js'
import { createTokenBucket } from '../../ratelimit/createTokenBucket.js'
import type { MessageHandler } from '../../rpc/createMessageHandler.js'
import type { JsonRpcId } from '../../rpc/types.js'
import type { Services } from '../../services.js'
import { createTickBatcher } from '../../util/createTickBatcher.js'
import type { ConnectionRegistry, LiveConnection } from '../createConnectionRegistry.js'

export type RpcSocketOptions = {
  services: Services
  handler: MessageHandler
  connections: ConnectionRegistry
}

const errorFrame = (err: unknown, id: JsonRpcId = null) =>
  JSON.stringify({ jsonrpc: '2.0', id, error: toJsonRpcError(err) })

/**
 * The id of a refused frame, so the client can match the -32005 to its request: small frames
 * only (a flood of big ones is answered with id null, cheaply), a single request object only.
 */
function refusedFrameId(data: unknown, maxIdLength: number): JsonRpcId {
  const bytes = data as { length?: number; byteLength?: number }
  if ((bytes.length ?? bytes.byteLength ?? Infinity) > 4096 || Array.isArray(data)) return null
  try {
    const id = (JSON.parse(Buffer.from(data as ArrayBuffer).toString('utf8')) as { id?: unknown })?.id
    if (typeof id === 'number' && Number.isFinite(id)) return id
    if (typeof id === 'string' && id.length <= maxIdLength) return id
  } catch {}
  return null
}

/**
 * `GET /rpc` upgraded to a WebSocket (the guard already ran). Every frame: connection bucket,
 * in-flight cap, then the message handler. Slow readers are closed, not buffered without bound;
 * a heartbeat terminates dead peers; closing cancels the connection's pending work. Refused
 * frames are counted in metrics per frame and logged (warn) once per burst per origin, with the
 * number of refusals folded into the line.
 */
export function registerRpcSocket(
  app: FastifyInstance,
  { services, handler, connections }: RpcSocketOptions,
) {
  const { config, metrics, limiter } = services
  const { maxInFlightPerConnection, maxBufferedBytes, maxPerOrigin, maxTotal } = config.connections
  const gauge = metrics.connectionsActive.labels('ws')
  /**
   * Flood tolerance per connection, as a token bucket of refusals: it holds 8 frame bursts (at least
   * 1,000 refusals) and refills at twice the frame rate. A client that backs off, or overshoots a
   * little, never empties it; one that keeps sending far past its budget does, and is closed (1008).
   */
  const floodCapacity = Math.max(1000, 8 * config.rateLimit.connection.burst)
  const floodRefill = 2 * config.rateLimit.connection.perSecond
  /** Listeners on a connection's abort signal: one or two per request in flight, batches included. */
  const maxSignalListeners = maxInFlightPerConnection * config.server.maxBatchSize * 2
  // Keyed by origin (one flood over many sockets is one burst), one log per limit kind, so the
  // refusal path builds no key string.
  const quietMs = config.rateLimit.logQuietMs
  const frameRefusals = createRefusalLog({ quietMs, now: services.now })
  const inFlightRefusals = createRefusalLog({ quietMs, now: services.now })

  app.get('/rpc', { websocket: true }, (socket: WebSocket, req) => {
    const caller = req.caller!
    const abort = new AbortController()
    setMaxListeners(maxSignalListeners, abort.signal)
    const closers: Array<() => void> = []
    const connId = randomUUID()
    let alive = true
    const floodBudget = createTokenBucket({
      capacity: floodCapacity,
      refillPerSecond: floodRefill,
      now: services.now,
    })

    const write = createTickBatcher(socket)
    const send = (text: string) => {
      if (socket.readyState !== socket.OPEN) return
      if (socket.bufferedAmount > maxBufferedBytes) {
        conn.log.warn({ bufferedAmount: socket.bufferedAmount }, 'closing a slow reader')
        metrics.connectionsTotal.inc({ outcome: 'slow_reader' })
        socket.terminate()
        return
      }
      write(text)
    }

    const conn: LiveConnection = {
      id: connId,
      transport: 'ws',
      origin: caller.origin,
      tokenName: caller.tokenName,
      log: services.log.child({ connId, origin: caller.origin }),
      notify: (message: object) => send(JSON.stringify(message)),
      onClose(fn) {
        if (conn.closed) fn()
        else closers.push(fn)
      },
      closed: false,
      inFlight: 0,
      close: (code, reason) => socket.close(code, reason),
    }

    // Re-check the caps now that the socket exists (concurrent upgrades may have raced the guard).
    if (connections.total >= maxTotal || connections.countFor(conn.origin) >= maxPerOrigin) {
      metrics.connectionsTotal.inc({ outcome: 'cap_race' })
      socket.close(1013, 'too many connections')
      return
    }
    connections.add(conn)
    gauge.inc()
    metrics.connectionsTotal.inc({ outcome: 'accepted' })
    conn.log.info({ token: undefined, tokenName: caller.tokenName }, 'connection opened')

    socket.on('pong', () => {
      alive = true
    })
    const heartbeat = setInterval(() => {
      if (!alive) {
        conn.log.info('no pong: terminating')
        socket.terminate()
        return
      }
      alive = false
      socket.ping()
    }, config.server.heartbeatMs)
    heartbeat.unref()

    socket.on('message', (data, isBinary) => {
      // Frames still buffered after walletd closed the socket (a flood) get no answer and no count.
      if (socket.readyState !== socket.OPEN) return
      if (isBinary) {
        send(
          errorFrame(
            new ParseError({ message: 'Parse error: binary frames are not accepted; send JSON text.' }),
          ),
        )
        return
      }
      const frame = limiter.takeFrame(connId)
      if (!frame.ok) {
        metrics.rateLimited.inc({ limit: frame.limit })
        // A client that keeps sending far past its refusals is flooding: answering it any longer
        // only spends the daemon's time, so the connection is closed.
        if (floodBudget.take() > 0) {
          metrics.connectionsTotal.inc({ outcome: 'closed_flooding' })
          conn.log.warn('closing a connection that keeps flooding after refusals')
          socket.close(1008, 'rate limit exceeded')
          return
        }
        const count = frameRefusals.refused(conn.origin)
        if (count > 0) {
          conn.log.warn(
            { limit: frame.limit, retryAfterMs: frame.retryAfterMs, refusals: count },
            'rate limit exceeded',
          )
        }
        send(
          errorFrame(
            new LimitExceededError({
              message: `Rate limit exceeded (${frame.limit}); retry in ${frame.retryAfterMs} ms.`,
              data: { retryAfterMs: frame.retryAfterMs, limit: frame.limit },
            }),
            refusedFrameId(data, config.server.maxIdLength),
          ),
        )
        return
      }
      if (conn.inFlight >= maxInFlightPerConnection) {
        metrics.rateLimited.inc({ limit: 'inflight' })
        const count = inFlightRefusals.refused(conn.origin)
        if (count > 0) {
          conn.log.warn(
            { limit: 'inflight', maxInFlight: maxInFlightPerConnection, refusals: count },
            'rate limit exceeded',
          )
        }
        send(
          errorFrame(
            new LimitExceededError({
              message: `Too many requests in flight on this connection (at most ${maxInFlightPerConnection}).`,
              data: { retryAfterMs: 100, limit: 'inflight' },
            }),
            refusedFrameId(data, config.server.maxIdLength),
          ),
        )
        return
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8')
      conn.inFlight++
      handler.handleText(text, conn, abort.signal).then(
        (out) => {
          conn.inFlight--
          if (out !== null) send(out)
        },
        (err) => {
          // handleText never rejects; this is a last line of defence.
          conn.inFlight--
          conn.log.error({ err }, 'message handler failed')
          send(errorFrame(new InvalidRequestError()))
        },
      )
    })

    socket.on('error', (err) => conn.log.warn({ err: { message: err.message } }, 'socket error'))
    socket.on('close', (code) => {
      ;(conn as { closed: boolean }).closed = true
      clearInterval(heartbeat)
      abort.abort(new Error('connection closed'))
      connections.remove(conn)
      limiter.releaseConnection(connId)
      gauge.dec()
      for (const fn of closers.splice(0)) {
        try {
          fn()
        } catch (err) {
          conn.log.error({ err }, 'close handler failed')
        }
      }
      conn.log.info({ code }, 'connection closed')
    })
  })
}
