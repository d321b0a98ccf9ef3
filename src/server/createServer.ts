import { createServer as createHttpServer, type Server } from 'node:http'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Services } from '../services.js'
import type { ConnectionRegistry } from './createConnectionRegistry.js'
import type { TokenStore } from './createTokenStore.js'
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
  /** Extra routes (e.g. the provider bundle), registered after the guard. */
  extraRoutes?: (app: FastifyInstance) => void
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
    requestTimeout: s.requestTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    connectionTimeout: s.requestTimeoutMs,
    return503OnClosing: true,
    // walletd's routes declare no JSON schemas (the RPC pipeline validates with zod), so fastify's
    // ajv and fast-json-stringify compilers are never needed: these stand-ins keep fastify from
    // loading them at start-up (about 40 ms), and fail loudly if a schema is ever declared.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    serverFactory: (handler) => {
      const server: Server = createHttpServer(
        {
          maxHeaderSize: s.maxHeaderBytes,
          requestTimeout: s.requestTimeoutMs,
          headersTimeout: s.headersTimeoutMs,
          keepAliveTimeout: s.keepAliveTimeoutMs,
        },
        handler,
      )
      server.maxHeadersCount = s.maxHeadersCount
      return server
    },
  })
  app.setErrorHandler((err, _req, reply) => {
    const status =
      typeof (err as { statusCode?: number }).statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : 500
    if (status >= 500) opts.services.log.error({ err }, 'http error')
    reply.code(status).send({ error: status >= 500 ? 'internal error' : (err as Error).message })
  })
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
    limits: {
      maxPerOrigin: opts.services.config.connections.maxPerOrigin,
      maxTotal: opts.services.config.connections.maxTotal,
    },
  })
  registerRpcSocket(app, { services: opts.services, handler: opts.handler, connections: opts.connections })
  registerRpcHttp(app, { services: opts.services, handler: opts.handler })
  registerHealth(app, {
    services: opts.services,
    connections: opts.connections,
    version: opts.version,
    startedAt: opts.startedAt,
  })
  opts.extraRoutes?.(app)
  return app
}
