import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Metrics } from '../../metrics.js'
import { normalizeOrigin } from '../../session/normalizeOrigin.js'
import { isPreflight, STREAM_HEADER } from '../cors.js'
import type { ConnectionRegistry } from '../createConnectionRegistry.js'
import type { TokenStore } from '../createTokenStore.js'
import { handshakeNonce } from '../handshake/handshakeNonce.js'
import { isLoopbackHost } from '../isLoopbackHost.js'
import { tokenFromPath } from '../tokenUrl.js'

export type GuardOptions = {
  /** The port walletd really bound (read at request time). */
  port: () => number
  tokens: TokenStore
  connections: ConnectionRegistry
  metrics: Metrics
  limits: { maxPerOrigin: number; maxTotal: number; maxUnauthenticated: number }
}

/**
 * Who is calling, as established by the guard before any body or frame is read. `tokenName` is
 * null for a handshake: the connection proves its token after the upgrade (`clientNonce` set).
 */
export type Caller = { origin: string; tokenName: string | null; clientNonce?: string }

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null
  }
}

const RPC_ROUTES = new Set(['/rpc', '/events'])
const PUBLIC_ROUTES = new Set(['/provider.js'])
/** The subprotocol of walletd's WebSocket; clients that offer it get walletd's own pushes. */
export const PROTOCOL = 'walletd.v1'
const TOKEN_PROTOCOL_PREFIX = 'walletd.token.'

/** The bearer token from `Authorization: Bearer …` or a `walletd.token.…` Sec-WebSocket-Protocol entry. */
export function presentedToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim()
  const proto = req.headers['sec-websocket-protocol']
  if (typeof proto === 'string' && proto.length <= 512) {
    const list = proto.split(',').map((p) => p.trim())
    if (!list.includes(PROTOCOL)) return undefined
    return list.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length)
  }
  return undefined
}

/** ws `handleProtocols`: echo only `walletd.v1`, never the token entry. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(PROTOCOL) ? PROTOCOL : false
}

/** `GET /events`: a server-sent-events stream, a connection like a WebSocket. */
const isEventStream = (req: FastifyRequest) => req.method === 'GET' && req.url.split('?', 1)[0] === '/events'

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ error })
}

/**
 * Runs in `onRequest`, before any body is read and before a WebSocket upgrade:
 * Host must be the loopback host and port (DNS rebinding, every route); health and metrics refuse
 * cross-origin callers; RPC routes need a valid host token (Bearer or subprotocol entry) and a
 * normalised Origin (or none: then the session is `token:<name>`); per-origin and global
 * connection caps apply to upgrades. Cookies and query-string tokens are ignored. `/rpc/<token>`
 * (a token made with `--url`) is accepted only without an Origin header.
 */
export function registerGuard(app: FastifyInstance, opts: GuardOptions) {
  app.decorateRequest('caller', null)
  app.addHook('onRequest', async (req, reply) => {
    if (!isLoopbackHost(req.headers.host, opts.port())) {
      opts.metrics.connectionsTotal.inc({ outcome: 'bad_host' })
      return refuse(reply, 403, 'forbidden host')
    }
    const path = req.url.split('?', 1)[0]!
    const urlToken = tokenFromPath(path)
    if (urlToken !== undefined) return guardTokenUrl(req, reply, urlToken)
    // Public code: any page or host may load the provider bundle.
    if (PUBLIC_ROUTES.has(path) && req.method === 'GET') return
    if (!RPC_ROUTES.has(path)) {
      // Health and metrics are for local tools, not for web pages.
      if (req.headers.origin !== undefined) return refuse(reply, 403, 'cross-origin requests are not allowed')
      return
    }
    let origin: string | null = null
    if (req.headers.origin !== undefined) {
      const normalized = normalizeOrigin(req.headers.origin)
      if (!normalized.ok) {
        opts.metrics.connectionsTotal.inc({ outcome: 'bad_origin' })
        return refuse(reply, 403, 'forbidden origin')
      }
      origin = normalized.origin
    }
    // A page's preflight (no credentials by design): the route grants only what the fallback needs.
    if (isPreflight(req) && origin !== null && path === '/rpc') return
    const presented = presentedToken(req)
    const tokenName = opts.tokens.verify(presented, origin)
    // A request on an event stream: the stream's connection authenticates it (the route checks
    // the stream exists and has this origin).
    if (
      tokenName === null &&
      presented === undefined &&
      req.method === 'POST' &&
      req.headers[STREAM_HEADER] !== undefined
    ) {
      req.caller = { origin: origin ?? 'stream', tokenName: null }
      return
    }
    if (tokenName === null && presented === undefined && origin !== null) {
      const clientNonce = handshakeNonce(req)
      if (clientNonce !== undefined) return admitHandshake(req, reply, origin, clientNonce)
    }
    if (tokenName === null) {
      opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
      return refuse(reply, 401, 'a valid host token is required')
    }
    return admit(req, reply, { origin: origin ?? `token:${tokenName}`, tokenName })
  })

  /** Connection caps (connections only: upgrades and event streams), then the caller is set for the route. */
  function admit(req: FastifyRequest, reply: FastifyReply, caller: Caller) {
    if (req.headers.upgrade !== undefined || isEventStream(req)) {
      if (opts.connections.total >= opts.limits.maxTotal) {
        opts.metrics.connectionsTotal.inc({ outcome: 'cap_total' })
        return refuse(reply, 429, 'too many connections')
      }
      if (opts.connections.countFor(caller.origin) >= opts.limits.maxPerOrigin) {
        opts.metrics.connectionsTotal.inc({ outcome: 'cap_origin' })
        return refuse(reply, 429, 'too many connections from this origin')
      }
    }
    req.caller = caller
  }

  /**
   * A handshake (a WebSocket upgrade or an event stream with a client nonce, an Origin and no
   * token): the daemon speaks first with its signed hello and the client proves its token after.
   * Such connections are capped (`connections.maxUnauthenticated`) and closed when they do not
   * finish in `server.authTimeoutMs` (the connection layer).
   */
  function admitHandshake(req: FastifyRequest, reply: FastifyReply, origin: string, clientNonce: string) {
    if (req.headers.upgrade === undefined && !isEventStream(req)) {
      opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
      return refuse(reply, 401, 'a valid host token is required')
    }
    if (opts.connections.pending >= opts.limits.maxUnauthenticated) {
      opts.metrics.connectionsTotal.inc({ outcome: 'cap_unauthenticated' })
      return refuse(reply, 429, 'too many connections authenticating')
    }
    return admit(req, reply, { origin, tokenName: null, clientNonce })
  }

  /**
   * `/rpc/<token>`: a token made with `--url`, for clients that cannot set headers (viem
   * `webSocket(url)`, ethers, cast). Never from a browser page: a request with an Origin header is
   * refused (403), so a token URL pasted into a page gives that page nothing.
   */
  function guardTokenUrl(req: FastifyRequest, reply: FastifyReply, token: string) {
    if (req.headers.origin !== undefined) {
      opts.metrics.connectionsTotal.inc({ outcome: 'bad_origin' })
      return refuse(reply, 403, 'a token URL is not accepted from a web page')
    }
    const tokenName = opts.tokens.verifyUrl(token)
    if (tokenName === null) {
      opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
      return refuse(reply, 401, 'a valid token URL is required')
    }
    return admit(req, reply, { origin: `token:${tokenName}`, tokenName })
  }
}
