import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { RateTier } from '../../config/schema.js'
import type { Metrics } from '../../metrics.js'
import { createRefusalLog } from '../../ratelimit/createRefusalLog.js'
import { normalizeOrigin } from '../../session/normalizeOrigin.js'
import { type ConnectionLimits, capRefusal } from '../capRefusal.js'
import { createAuthGate } from '../createAuthGate.js'
import type { ConnectionRegistry } from '../createConnectionRegistry.js'
import type { TokenStore } from '../createTokenStore.js'
import { isLoopbackHost } from '../isLoopbackHost.js'
import { createRouteSet, parseRequestTarget } from '../requestTarget.js'

export type GuardOptions = {
  /** The port walletd really bound (read at request time). */
  port: () => number
  tokens: TokenStore
  connections: ConnectionRegistry
  metrics: Metrics
  limits: ConnectionLimits
  log: Logger
  now: () => number
  /** Refusals are logged once per burst: at most one line per this interval (`rateLimit.logQuietMs`). */
  logQuietMs: number
  /** The global budget of failed token checks (`rateLimit.authFailures`); null: not throttled. */
  authBudget: RateTier | null
}

/** Who is calling, as established by the guard before any body or frame is read. */
export type Caller = { origin: string; tokenName: string }

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null
  }
}

const RPC_ROUTES = new Set(['/rpc', '/events'])
const PROTOCOL = 'walletd.v1'
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
 * Host must be the loopback host and port (DNS rebinding, every route); the request target must
 * parse (`parseRequestTarget`: origin form, one spelling) into exactly a registered route, else
 * 400 / 404 before any handler runs; token failures are counted, logged once per burst and
 * throttled (`createAuthGate`: 429 past `rateLimit.authFailures`); health and metrics refuse
 * cross-origin callers; RPC routes need a valid host token (Bearer or subprotocol entry) and a
 * normalised Origin (or none: then the session is `token:<name>`); the connection caps (global,
 * per token, per registrable domain, per origin: `capRefusal`) apply to upgrades. Cookies and
 * query-string tokens are ignored.
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
    const verdict = auth.check(presentedToken(req), origin)
    if (!verdict.ok) {
      if (verdict.status === 429) {
        opts.metrics.connectionsTotal.inc({ outcome: 'auth_throttled' })
        reply.header('retry-after', String(verdict.retryAfterSeconds))
        return refuse(reply, 429, 'too many failed authentications; retry later')
      }
      opts.metrics.connectionsTotal.inc({ outcome: 'unauthorized' })
      return refuse(reply, 401, 'a valid host token is required')
    }
    const { tokenName } = verdict
    const caller: Caller = { origin: origin ?? `token:${tokenName}`, tokenName }
    if (req.headers.upgrade !== undefined) {
      const cap = capRefusal(opts.connections, opts.limits, caller)
      if (cap) {
        opts.metrics.connectionsTotal.inc({ outcome: cap.outcome })
        return refuse(reply, 429, cap.message)
      }
    }
    req.caller = caller
  })
}
