import { randomUUID } from 'node:crypto'
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { InvalidRequestError, LimitExceededError } from '../errors/rpc.js'
import { AdminSocketError } from '../errors/startup.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { ADMIN_ORIGIN } from '../rpc/admin/types.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Connection } from '../rpc/types.js'

export type AdminSocketOptions = {
  /** A Unix socket path (in the 0700 runtime dir), or on Windows a named pipe (`\\.\pipe\…`). */
  path: string
  /** The message handler over the admin method table (transport `admin`). */
  handler: MessageHandler
  log: Logger
  /** Longest request line; a longer one is answered -32600 and the connection closed. */
  maxLineBytes: number
  /** Requests handled at once per connection; more are answered -32005. */
  maxInFlight: number
  /** Admin connections at once (the CLI opens one per command). Default 16. */
  maxConnections?: number
}

export type AdminSocket = {
  readonly path: string
  /** Live admin connections. */
  readonly connections: number
  close(): Promise<void>
}

/** sun_path holds 108 bytes on Linux, 104 on macOS, NUL included. */
const MAX_UNIX_PATH = 103

/** A Windows named pipe path (`\\.\pipe\…` or `\\?\pipe\…`) rather than a Unix socket path. */
export const isPipe = (path: string) => path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\')

/**
 * The admin socket: the CLI's only way into a running daemon, never TCP. A Unix socket created
 * 0600 inside the 0700 runtime dir (so only the daemon's user can connect; the directory is the
 * guard before the chmod), or a named pipe on Windows. It speaks newline-delimited JSON-RPC 2.0:
 * one request (or batch) per line in, one response or push per line out, through the same
 * message handler as WebSocket/HTTP with its own method table; each connection is a `Connection`
 * with transport `admin` and the session key `admin`.
 *
 * This module is only the transport (framing, the in-flight cap, pushes, closing); everything a
 * request goes through is the pipeline's.
 */
export async function listenAdminSocket(opts: AdminSocketOptions): Promise<AdminSocket> {
  const { path, handler, log, maxLineBytes, maxInFlight } = opts
  const maxConnections = opts.maxConnections ?? 16
  // Stryker disable next-line ConditionalExpression: named pipes exist only on Windows; the tests run where every path is a Unix path
  if (!isPipe(path)) prepareUnixPath(path)
  const sockets = new Set<Socket>()
  // Stryker disable next-line ObjectLiteral: allowHalfOpen false is node's default
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    if (sockets.size >= maxConnections) {
      socket.end(
        `${JSON.stringify({ jsonrpc: '2.0', id: null, error: toJsonRpcError(new LimitExceededError({ message: 'Too many admin connections.', data: { retryAfterMs: 1000, limit: 'admin-connections' } })) })}\n`,
      )
      return
    }
    sockets.add(socket)
    serve(socket)
  })

  function serve(socket: Socket): void {
    const abort = new AbortController()
    const closers: Array<() => void> = []
    const id = randomUUID()
    // The unfinished line; more than maxLineBytes characters (so at least as many bytes) is refused.
    let partial = ''
    let refused = false
    const send = (text: string) => {
      if (socket.destroyed || !socket.writable) return
      // A client that does not read its pushes is dropped, not buffered without bound.
      if (socket.writableLength > 4 * maxLineBytes) {
        socket.destroy()
        return
      }
      socket.write(`${text}\n`)
    }
    const conn: Connection = {
      id,
      transport: 'admin',
      origin: ADMIN_ORIGIN,
      tokenName: null,
      log: log.child({ connId: id, transport: 'admin' }),
      notify: (message) => send(JSON.stringify(message)),
      onClose(fn) {
        if (conn.closed) fn()
        else closers.push(fn)
      },
      closed: false,
      inFlight: 0,
    }
    // Stryker disable next-line StringLiteral: an empty encoding is utf8 too
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      if (refused) return
      partial += chunk
      let nl = partial.indexOf('\n')
      while (nl !== -1) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        if (Buffer.byteLength(line) > maxLineBytes) return tooLong()
        handleLine(line)
        nl = partial.indexOf('\n')
      }
      if (partial.length > maxLineBytes) tooLong()
    })
    function tooLong(): void {
      refused = true
      partial = ''
      send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: toJsonRpcError(
            new InvalidRequestError({
              message: `Invalid request: a line is longer than ${maxLineBytes} bytes.`,
            }),
          ),
        }),
      )
      socket.end()
    }
    function handleLine(line: string): void {
      if (line.trim() === '') return
      if (conn.inFlight >= maxInFlight) {
        send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: toJsonRpcError(
              new LimitExceededError({
                message: `Too many requests in flight on this connection (at most ${maxInFlight}).`,
                data: { retryAfterMs: 100, limit: 'inflight' },
              }),
            ),
          }),
        )
        return
      }
      conn.inFlight++
      handler.handleText(line, conn, abort.signal).then(
        (out) => {
          conn.inFlight--
          if (out !== null) send(out)
        },
        (err) => {
          conn.inFlight--
          conn.log.error({ err }, 'admin message handler failed')
        },
      )
    }
    socket.on('error', (err) => conn.log.debug({ err: { message: err.message } }, 'admin socket error'))
    socket.on('close', () => {
      ;(conn as { closed: boolean }).closed = true
      sockets.delete(socket)
      abort.abort(new Error('connection closed'))
      for (const fn of closers.splice(0)) {
        try {
          fn()
        } catch (err) {
          conn.log.error({ err }, 'admin close handler failed')
        }
      }
    })
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new AdminSocketError(`Cannot create the admin socket ${path}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      )
    server.once('error', onError)
    // Stryker disable next-line BooleanLiteral: the chmod to 0600 just after sets the mode either way (the 0700 dir guards the moment between)
    server.listen({ path, readableAll: false, writableAll: false }, () => {
      // Stryker disable next-line StringLiteral: a later error would only reject the settled promise (a no-op)
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (err) => log.error({ err }, 'admin socket server error'))
  // Stryker disable next-line ConditionalExpression: as above (Windows only)
  if (!isPipe(path)) {
    try {
      chmodSync(path, 0o600)
    } catch (err) {
      server.close()
      throw new AdminSocketError(`Cannot make the admin socket ${path} private (0600).`, { cause: err })
    }
  }
  log.info({ path }, 'admin socket listening')

  let closing: Promise<void> | undefined
  return {
    path,
    get connections() {
      return sockets.size
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
        // Node removes its own Unix socket file on close: this only covers a file left behind.
        // Stryker disable next-line BlockStatement: see above
        .then(() => {
          // Stryker disable next-line BooleanLiteral,ConditionalExpression,BlockStatement: see above
          if (!isPipe(path)) {
            // Stryker disable next-line BlockStatement: see above
            try {
              unlinkSync(path)
            } catch {}
          }
        })
      return closing
    },
  }
}

/**
 * Refuses a path too long for sun_path; makes its directory private (0700: nobody else can reach
 * the socket, even in the moment before its chmod); removes a stale socket (the daemon holds the lock).
 */
function prepareUnixPath(path: string): void {
  const dir = dirname(path)
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
  } catch (err) {
    throw new AdminSocketError(`The runtime dir ${dir} must be private (0700) for the admin socket.`, {
      cause: err,
    })
  }
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new AdminSocketError(
      `The admin socket path ${path} is too long for a Unix socket (${Buffer.byteLength(path)} bytes, at most ${MAX_UNIX_PATH}): set runtimeDir to a shorter directory.`,
    )
  }
  let stat: ReturnType<typeof lstatSync> | undefined
  try {
    stat = lstatSync(path)
  } catch {}
  if (!stat) return
  if (stat.isSocket() || stat.isSymbolicLink()) {
    unlinkSync(path)
    return
  }
  throw new AdminSocketError(`${path} exists and is not a socket; remove it.`)
}
