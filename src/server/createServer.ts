import { createServer as createHttpServer, type Server } from 'node:http'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import type { DevChainStatus } from '../dev/superviseAnvil.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Services } from '../rpc/services.js'
import type { ConnectionRegistry } from './createConnectionRegistry.js'
import { createFrameworkErrorHandler, createHttpErrorHandler } from './createHttpErrorHandler.js'
import type { TokenStore } from './createTokenStore.js'
import { httpServerTimeouts } from './httpTimeouts.js'
import { registerGuard, selectProtocol } from './plugins/guard.js'
import { registerHealth } from './plugins/health.js'
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
  /** Extra routes (e.g. the provider bundle), registered after the guard. */
  extraRoutes?: (app: FastifyInstance) => void
}

/**
 * The fastify app (not listening): guard, WS and HTTP RPC, health, metrics. Tight HTTP timeouts
 * and header limits for a local daemon (slowloris); ws without permessage-deflate, with a small
 * maxPayload; only `walletd.v1` is echoed as subprotocol.
 */
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

  await app.register(websocket, {
    options: {
      maxPayload: s.maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols: Set<string>) => selectProtocol(protocols),
    },
    preClose: async () => {
      for (const conn of opts.connections.all()) conn.close(1001, 'walletd is shutting down')
    },
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
  registerRpcSocket(app, { services: opts.services, handler: opts.handler, connections: opts.connections })
  registerRpcHttp(app, { services: opts.services, handler: opts.handler })
  registerHealth(app, {
    services: opts.services,
    connections: opts.connections,
    version: opts.version,
    startedAt: opts.startedAt,
    devChain: opts.devChain ?? null,
  })
  opts.extraRoutes?.(app)
  return app
}
