import { createServer as createHttpServer, type Server } from 'node:http'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import type { DevChainStatus } from '../dev/superviseAnvil.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Services } from '../rpc/services.js'
import { type ConnectionLayer, createConnectionLayer } from './createConnectionLayer.js'
import type { ConnectionRegistry } from './createConnectionRegistry.js'
import { createFrameworkErrorHandler, createHttpErrorHandler } from './createHttpErrorHandler.js'
import type { TokenStore } from './createTokenStore.js'
import { createAuthenticator } from './handshake/createAuthenticator.js'
import type { IdentityKey } from './handshake/loadIdentityKey.js'
import { httpServerTimeouts } from './httpTimeouts.js'
import { createStreamRegistry, registerEventStream } from './plugins/eventStream.js'
import { type Caller, registerGuard, selectProtocol } from './plugins/guard.js'
import { registerHealth } from './plugins/health.js'
import { registerProviderBundle } from './plugins/providerBundle.js'
import { registerRpcHttp } from './plugins/rpcHttp.js'
import { registerRpcSocket } from './plugins/rpcSocket.js'

export type CreateServerOptions = {
  services: Services
  handler: MessageHandler
  tokens: TokenStore
  connections: ConnectionRegistry
  version: string
  startedAt: number
  /** The bound port, read by the Host guard at request time. */
  port: () => number
  /** The dev chain's supervisor status, reported by /health and /readyz (dev mode only). */
  devChain?: (() => DevChainStatus) | null
  /** The daemon's identity key (signs handshake hellos). */
  identity: IdentityKey
  /** Extra routes (e.g. the provider bundle), registered after the guard. */
  extraRoutes?: (app: FastifyInstance) => void
  /** Given the connection layer once it exists (the root resyncs connections after an unlock). */
  onLayer?: (layer: ConnectionLayer) => void
}

/**
 * The fastify app (not listening): guard, WS and HTTP RPC, health, metrics. Tight HTTP timeouts
 * and header limits for a local daemon (slowloris); ws without permessage-deflate, with a small
 * maxPayload; only `walletd.v1` is echoed as subprotocol.
 */
function noSchemas(): () => never {
  return () => {
    throw new Error('walletd routes declare no JSON schemas (fastify validation and serialization are off)')
  }
}

export async function createServer(opts: CreateServerOptions): Promise<FastifyInstance> {
  const { server: s } = opts.services.config
  const app = Fastify({
    logger: false,
    bodyLimit: s.maxPayloadBytes,
    // Timeouts are the node server's (serverFactory below): fastify's own options would not apply.
    return503OnClosing: true,
    frameworkErrors: createFrameworkErrorHandler({
      log: opts.services.log,
      now: opts.services.now,
      quietMs: opts.services.config.rateLimit.logQuietMs,
      metrics: opts.services.metrics,
    }),
    // walletd's routes declare no JSON schemas (the RPC pipeline validates with zod), so fastify's
    // ajv and fast-json-stringify compilers are never needed: these stand-ins keep fastify from
    // loading them at start-up (about 40 ms), and fail loudly if a schema is ever declared.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    serverFactory: (handler) => {
      const server: Server = createHttpServer(
        {
          maxHeaderSize: s.maxHeaderBytes,
          ...httpServerTimeouts(s),
        },
        handler,
      )
      server.maxHeadersCount = s.maxHeadersCount
      return server
    },
  })
  app.setErrorHandler(
    createHttpErrorHandler({
      log: opts.services.log,
      now: opts.services.now,
      quietMs: opts.services.config.rateLimit.logQuietMs,
    }),
  )
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }))

  const layer = createConnectionLayer({
    services: opts.services,
    handler: opts.handler,
    connections: opts.connections,
    version: opts.version,
  })
  await app.register(websocket, {
    options: {
      maxPayload: s.maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols: Set<string>) => selectProtocol(protocols),
    },
    // Every connection (WebSockets and event streams, in their handshake or not) is told 1001.
    preClose: async () => layer.closeAll(1001, 'walletd is shutting down'),
  })
  registerGuard(app, {
    port: opts.port,
    tokens: opts.tokens,
    connections: opts.connections,
    metrics: opts.services.metrics,
    limits: opts.services.config.connections,
    log: opts.services.log,
    now: opts.services.now,
    logQuietMs: opts.services.config.rateLimit.logQuietMs,
    authBudget: opts.services.config.rateLimit.enabled ? opts.services.config.rateLimit.authFailures : null,
  })
  opts.onLayer?.(layer)
  const unwatchSessions = layer.watchSessions()
  app.addHook('onClose', async () => unwatchSessions())
  const authenticatorFor = (caller: Caller, host: string, extra?: Record<string, string>) =>
    createAuthenticator({
      identity: opts.identity,
      tokens: opts.tokens,
      clientNonce: caller.clientNonce ?? '',
      origin: caller.origin,
      host,
      port: opts.port(),
      ...(extra ? { extra } : {}),
    })
  const streams = createStreamRegistry()
  registerRpcSocket(app, { services: opts.services, layer, authenticatorFor })
  registerEventStream(app, { services: opts.services, layer, streams, authenticatorFor })
  registerRpcHttp(app, { services: opts.services, layer, streams })
  registerHealth(app, {
    services: opts.services,
    connections: opts.connections,
    version: opts.version,
    startedAt: opts.startedAt,
    devChain: opts.devChain ?? null,
  })
  registerProviderBundle(app)
  opts.extraRoutes?.(app)
  return app
}
