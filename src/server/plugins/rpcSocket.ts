import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Services } from '../../rpc/services.js'
import { createTickBatcher } from '../../util/createTickBatcher.js'
import type { Authenticator, ConnectionLayer } from '../createConnectionLayer.js'
import { type Caller, PROTOCOL } from './guard.js'

export type RpcSocketOptions = {
  services: Services
  layer: ConnectionLayer
  /** The daemon's side of the handshake, for a connection that opened without a token. */
  authenticatorFor: (caller: Caller, host: string) => Authenticator
}

/**
 * `GET /rpc` upgraded to a WebSocket (the guard already ran): moves frames between the socket and
 * the connection layer, which does everything per connection (budgets, caps, refusals, pushes,
 * the handshake gate). A socket that opened without a token (a handshake) gets an authenticator:
 * its signed hello goes out first. What is WebSocket-only stays here: coalesced writes and the ping heartbeat,
 * which terminates a peer that missed a pong.
 */
export function registerRpcSocket(
  app: FastifyInstance,
  { services, layer, authenticatorFor }: RpcSocketOptions,
) {
  const { heartbeatMs } = services.config.server

  const onSocket = (socket: WebSocket, req: FastifyRequest) => {
    const caller = req.caller!
    const send = createTickBatcher(socket)
    const handle = layer.open({
      transport: 'ws',
      origin: caller.origin,
      tokenName: caller.tokenName,
      ...(caller.tokenName === null
        ? { authenticator: authenticatorFor(caller, req.headers.host ?? '') }
        : {}),
      pushes: socket.protocol === PROTOCOL,
      sink: {
        write: (text) => {
          if (socket.readyState === socket.OPEN) send(text)
        },
        buffered: () => socket.bufferedAmount,
        close: (code, reason) => socket.close(code, reason),
        terminate: () => socket.terminate(),
      },
    })
    if (!handle) return

    let alive = true
    socket.on('pong', () => {
      alive = true
    })
    const heartbeat = setInterval(() => {
      if (!alive) {
        handle.conn.log.info('no pong: terminating')
        socket.terminate()
        return
      }
      alive = false
      socket.ping()
    }, heartbeatMs)
    heartbeat.unref()

    socket.on('message', (data, isBinary) => {
      const frame = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer)
      handle.receive(frame, isBinary)
    })
    socket.on('error', (err) => handle.conn.log.warn({ err: { message: err.message } }, 'socket error'))
    socket.on('close', (code) => {
      clearInterval(heartbeat)
      handle.closed(code)
    })
  }
  app.get('/rpc', { websocket: true }, onSocket)
  // A token URL (`/rpc/<token>`, checked by the guard) for clients that cannot set headers.
  app.get('/rpc/:token', { websocket: true }, onSocket)
}
