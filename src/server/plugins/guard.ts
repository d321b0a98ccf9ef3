import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { RateTier } from '../../config/schema.js'
import type { Metrics } from '../../metrics.js'
import { createRefusalLog } from '../../ratelimit/createRefusalLog.js'
import { normalizeOrigin } from '../../session/normalizeOrigin.js'
import { type ConnectionLimits, capRefusal } from '../capRefusal.js'
import { isPreflight, STREAM_HEADER } from '../cors.js'
import { type AuthVerdict, createAuthGate } from '../createAuthGate.js'
import type { ConnectionRegistry } from '../createConnectionRegistry.js'
import type { TokenStore } from '../createTokenStore.js'
import { handshakeNonce } from '../handshake/handshakeNonce.js'
import { isLoopbackHost } from '../isLoopbackHost.js'
import { createRouteSet, parseRequestTarget } from '../requestTarget.js'
import { tokenFromPath } from '../tokenUrl.js'

export type GuardOptions = {
  /** The port walletd really bound (read at request time). */
  port: () => number
  tokens: TokenStore
  connections: ConnectionRegistry
  metrics: Metrics
  limits: ConnectionLimits & { maxUnauthenticated: number }
  log: Logger
  now: () => number
  /** Refusals are logged once per burst: at most one line per this interval (`rateLimit.logQuietMs`). */
  logQuietMs: number
  /** The global budget of failed token checks (`rateLimit.authFailures`); null: not throttled. */
  authBudget: RateTier | null
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

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ error })
}

/**
 * Runs in `onRequest`, before any body is read and before a WebSocket upgrade:
 * - Host must be the loopback host and port (DNS rebinding, every route);
 * - the request target must parse (`parseRequestTarget`: origin form, one spelling) into exactly a
 *   registered route, else 400 / 404 before any handler runs;
 * - the provider bundle is public; health and metrics refuse cross-origin callers;
 * - RPC routes need a normalised Origin (or none: then the session is `token:<name>`) and a valid
 *   host token (Bearer or subprotocol entry), or a handshake (a client nonce, the token proved after
 *   the upgrade), or a request on an existing event stream; `/rpc/<token>` (a token made with
 *   `--url`) only without an Origin header;
 * - token failures are counted, logged once per burst and throttled (`createAuthGate`: 429 past
 *   `rateLimit.authFailures`);
 * - the connection caps (global, per token, per registrable domain, per origin: `capRefusal`; and
 *   connections still in their handshake) apply to upgrades and event streams.
 * Cookies and query-string tokens are ignored.
 */
export function registerGuard(app: FastifyInstance, opts: GuardOptions) {
  app.decorateRequest('caller', null)
  // The routes registered after the guard (all of them): a path must be exactly one of these.
  const routes = createRouteSet()
  app.addHook('onRoute', (route) => routes.add(route.url))
  const badTargets = createRefusalLog({ quietMs: opts.logQuietMs, now: opts.now })
  const auth = createAuthGate({
    tokens: opts.tokens,
    budget: opts.authBudget,
    metrics: opts.metrics,
    log: opts.log,
    now: opts.now,
    quietMs: opts.logQuietMs,
  })
  /**
   * Per keep-alive socket, the last bearer token that passed on it (POST only), with its Origin
   * header and the token records' generation: the next POST on that socket with the same headers
   * is the same caller. Compared as strings: a socket only ever meets what its own client sent.
   */
  const verified = new WeakMap<
    object,
    { generation: number; originHeader: string | undefined; authorization: string; caller: Caller }
  >()
  app.addHook('onRequest', async (req, reply) => {
    if (!isLoopbackHost(req.headers.host, opts.port())) {
      opts.metrics.connectionsTotal.inc({ outcome: 'bad_host' })
      return refuse(reply, 403, 'forbidden host')
    }
    // One reading of the target, exact: the router cannot reach a route the guard did not see.
    const target = parseRequestTarget(req.raw.url)
    if (!target.ok) {
      opts.metrics.connectionsTotal.inc({ outcome: 'bad_target' })
      const count = badTargets.refused(target.reason)
      if (count > 0)
        opts.log.warn({ reason: target.reason, refusals: count }, 'refused a malformed request target')
      return refuse(reply, 400, 'bad request target')
    }
    if (!routes.has(target.path)) return refuse(reply, 404, 'not found')
    const path = target.path
    const urlToken = tokenFromPath(path)
    if (urlToken !== undefined) return guardTokenUrl(req, reply, urlToken)
    // Public code: any page or host may load the provider bundle.
    if (PUBLIC_ROUTES.has(path) && req.method === 'GET') return
    if (!RPC_ROUTES.has(path)) {
      // Health and metrics are for local tools, not for web pages.
      if (req.headers.origin !== undefined) return refuse(reply, 403, 'cross-origin requests are not allowed')
      return
    }
    // A keep-alive socket that presented the same token and Origin before, with the token records
    // unchanged since (a revocation changes them): the same verdict, without hashing again.
    const keepAlive = req.method === 'POST' ? req.raw.socket : undefined
    const known = keepAlive ? verified.get(keepAlive) : undefined
    if (
      known !== undefined &&
      known.generation === opts.tokens.generation &&
      known.originHeader === req.headers.origin &&
      known.authorization === req.headers.authorization &&
      req.headers[STREAM_HEADER] === undefined &&
      req.headers['sec-websocket-protocol'] === undefined &&
      req.headers.upgrade === undefined
    ) {
      req.caller = known.caller
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
    if (presented === undefined) {
      // A request on an event stream: the stream's connection authenticates it (the route checks
      // the stream exists and has this origin).
      if (req.method === 'POST' && req.headers[STREAM_HEADER] !== undefined) {
        req.caller = { origin: origin ?? 'stream', tokenName: null }
        return
      }
      if (origin !== null) {
        const clientNonce = handshakeNonce(req)
        if (clientNonce !== undefined) return admitHandshake(req, reply, origin, clientNonce)
      }
    }
    const generation = opts.tokens.generation
    const verdict = auth.check(presented, origin)
    if (!verdict.ok) return refuseAuth(reply, verdict)
    const caller = { origin: origin ?? `token:${verdict.tokenName}`, tokenName: verdict.tokenName }
    if (
      keepAlive &&
      presented !== undefined &&
      typeof req.headers.authorization === 'string' &&
      req.headers['sec-websocket-protocol'] === undefined
    ) {
      verified.set(keepAlive, {
        generation,
        originHeader: req.headers.origin,
        authorization: req.headers.authorization,
        caller,
      })
    }
    return admit(req, reply, caller)
  })

  function refuseAuth(reply: FastifyReply, verdict: Extract<AuthVerdict, { ok: false }>) {
    if (verdict.status === 429) {
      opts.metrics.connectionsTotal.inc({ outcome: 'auth_throttled' })
      reply.header('retry-after', String(verdict.retryAfterSeconds))
      return refuse(reply, 429, 'too many failed authentications; retry later')
    }
    opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
    return refuse(reply, 401, 'a valid host token is required')
  }

  /** Connection caps (connections only: upgrades and event streams), then the caller is set for the route. */
  function admit(req: FastifyRequest, reply: FastifyReply, caller: Caller) {
    if (req.headers.upgrade !== undefined || isEventStream(req)) {
      const cap = capRefusal(opts.connections, opts.limits, caller)
      if (cap) {
        opts.metrics.connectionsTotal.inc({ outcome: cap.outcome })
        return refuse(reply, 429, cap.message)
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
    const verdict = auth.check(token, null, (t) => (t === undefined ? null : opts.tokens.verifyUrl(t)))
    if (!verdict.ok) {
      if (verdict.status === 429) return refuseAuth(reply, verdict)
      opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
      return refuse(reply, 401, 'a valid token URL is required')
    }
    return admit(req, reply, { origin: `token:${verdict.tokenName}`, tokenName: verdict.tokenName })
  }
}

/** `GET /events`: a server-sent-events stream, a connection like a WebSocket. */
function isEventStream(req: FastifyRequest): boolean {
  return req.method === 'GET' && req.url.split('?', 1)[0] === '/events'
}
