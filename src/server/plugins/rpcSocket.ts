import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Services } from '../../rpc/services.js'
import type {
  Authenticator,
  ConnectionHandle,
  ConnectionLayer,
  ConnectionSink,
} from '../createConnectionLayer.js'
import { type Caller, PROTOCOL } from './guard.js'

export type RpcSocketOptions = {
  services: Services
  layer: ConnectionLayer
  /** The daemon's side of the handshake, for a connection that opened without a token. */
  authenticatorFor: (caller: Caller, host: string) => Authenticator
}

type RawSocket = { cork(): void; uncork(): void; destroyed?: boolean }

/**
 * One WebSocket's state, and its sink for the connection layer: methods on the prototype, no
 * closure per connection. Writes made in one tick leave in one syscall: the TCP socket is corked
 * at the first frame and uncorked on the next tick (Node counts corks, so ws's own per-frame
 * cork/uncork nests inside).
 */
class SocketPeer implements ConnectionSink {
  handle: ConnectionHandle | null = null
  /** A pong (or any frame) arrived since the last heartbeat. */
  alive = true
  // Write coalescing (`corked`, `raw`, cork and uncork) changes how many syscalls carry the frames,
  // not the frames: its mutants are not run.
  // Stryker disable next-line BooleanLiteral: write coalescing only
  private corked = false
  private readonly raw: RawSocket | undefined
  // Stryker disable next-line BlockStatement: write coalescing only (no raw socket: no corking)
  constructor(readonly socket: WebSocket) {
    this.raw = (socket as unknown as { _socket?: RawSocket })._socket
  }
  write(text: string): void {
    const socket = this.socket
    if (socket.readyState !== socket.OPEN) return
    const raw = this.raw
    // Stryker disable next-line ConditionalExpression,LogicalOperator,BooleanLiteral,BlockStatement: write coalescing only
    if (raw && !this.corked && !raw.destroyed) {
      // Stryker disable next-line BooleanLiteral: write coalescing only (corks nest, each with its own uncork)
      this.corked = true
      raw.cork()
      process.nextTick(uncork, this)
    }
    socket.send(text)
  }
  buffered(): number {
    return this.socket.bufferedAmount
  }
  close(code: number, reason: string): void {
    this.socket.close(code, reason)
  }
  terminate(): void {
    this.socket.terminate()
  }
}

function uncork(peer: SocketPeer) {
  // Stryker disable next-line BooleanLiteral: write coalescing only (a peer left marked corked only stops coalescing)
  ;(peer as unknown as { corked: boolean }).corked = false
  const raw = (peer as unknown as { raw: RawSocket | undefined }).raw
  // Stryker disable next-line ConditionalExpression,LogicalOperator: write coalescing only (uncorking a destroyed socket is a no-op)
  if (raw && !raw.destroyed) raw.uncork()
}

const PEER = Symbol('walletd.peer')
type PeerSocket = WebSocket & { [PEER]?: SocketPeer }

// Shared listeners (`this` is the socket): one function for every connection, not one each.
function onPong(this: PeerSocket) {
  const peer = this[PEER]
  if (peer) peer.alive = true
}
function onMessage(this: PeerSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
  const frame = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data as ArrayBuffer)
  this[PEER]?.handle?.receive(frame, isBinary)
}
function onError(this: PeerSocket, err: Error) {
  this[PEER]?.handle?.conn.log.warn({ err: { message: err.message } }, 'socket error')
  this.terminate()
}

/**
 * `GET /rpc` upgraded to a WebSocket (the guard already ran): moves frames between the socket and
 * the connection layer, which does everything per connection (budgets, caps, refusals, pushes,
 * the handshake gate). A socket that opened without a token (a handshake) gets an authenticator:
 * its signed hello goes out first. What is WebSocket-only stays here: coalesced writes and the ping
 * heartbeat (one timer for every socket), which terminates a peer that missed a pong.
 *
 * An idle connection holds little: nothing of the upgrade request is kept once the socket is open
 * (the HTTP response is detached from the TCP socket, and the upgrade plugin's error listener, which
 * holds the request and reply, is replaced by a shared one).
 */
export function registerRpcSocket(
  app: FastifyInstance,
  { services, layer, authenticatorFor }: RpcSocketOptions,
) {
  const { heartbeatMs } = services.config.server
  const peers = new Set<SocketPeer>()
  let heartbeat: ReturnType<typeof setInterval> | undefined

  const beat = () => {
    for (const peer of peers) {
      if (!peer.alive) {
        peer.handle?.conn.log.info('no pong: terminating')
        peer.socket.terminate()
        continue
      }
      peer.alive = false
      peer.socket.ping()
    }
  }

  function onClose(this: PeerSocket, code: number) {
    const peer = this[PEER]
    if (!peer) return
    peers.delete(peer)
    if (peers.size === 0 && heartbeat !== undefined) {
      clearInterval(heartbeat)
      heartbeat = undefined
    }
    peer.handle?.closed(code)
  }

  const onSocket = (socket: WebSocket, req: FastifyRequest) => {
    releaseUpgrade(socket)
    socket.on('error', onError)
    const caller = req.caller!
    const peer = new SocketPeer(socket)
    const handle = layer.open({
      transport: 'ws',
      origin: caller.origin,
      tokenName: caller.tokenName,
      ...(caller.tokenName === null
        ? { authenticator: authenticatorFor(caller, req.headers.host ?? '') }
        : {}),
      pushes: socket.protocol === PROTOCOL,
      sink: peer,
    })
    if (!handle) return
    peer.handle = handle
    ;(socket as PeerSocket)[PEER] = peer
    peers.add(peer)
    if (heartbeat === undefined) {
      heartbeat = setInterval(beat, heartbeatMs)
      heartbeat.unref()
    }
    socket.on('pong', onPong)
    socket.on('message', onMessage)
    socket.on('close', onClose)
  }
  app.get('/rpc', { websocket: true }, onSocket)
  // A token URL (`/rpc/<token>`, checked by the guard) for clients that cannot set headers.
  app.get('/rpc/:token', { websocket: true }, onSocket)
}

/**
 * Lets the upgrade's request and reply go once the WebSocket is open: the plugin's per-socket error
 * listener (a closure over both) is removed — `onError` above logs instead —, and the HTTP response
 * that was assigned to the TCP socket for the upgrade is detached from it.
 */
function releaseUpgrade(socket: WebSocket) {
  socket.removeAllListeners('error')
  const raw = (
    socket as unknown as { _socket?: { _httpMessage?: { detachSocket(s: unknown): void } | null } }
  )._socket
  raw?._httpMessage?.detachSocket(raw)
}
