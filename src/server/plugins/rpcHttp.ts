import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../../services.js'
import type { ConnectionLayer } from '../createConnectionLayer.js'

/**
 * `POST /rpc`: the same pipeline over HTTP (fallback transport; Node clients with a Bearer token,
 * viem's http transport, cast --rpc-headers). JSON bodies only (a `text/plain` cross-site POST is
 * refused with 415); the body is read as text so the depth guard runs before JSON.parse. Each
 * request is its own short-lived connection of the connection layer, whose frame budget is then
 * per origin.
 */
export function registerRpcHttp(
  app: FastifyInstance,
  { services, layer }: { services: Services; layer: ConnectionLayer },
) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: services.config.server.maxPayloadBytes },
    (_req, body, done) => done(null, body),
  )

  const onPost = async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!
    const abort = new AbortController()
    // The response stream closing before we wrote it means the client went away.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client went away'))
    })
    const out = await layer.requestOnce(caller, String(req.body ?? ''), abort.signal)
    reply.header('cache-control', 'no-store').header('content-type', 'application/json; charset=utf-8')
    if (out === null) return reply.code(204).send()
    return reply.send(out)
  }
  app.post('/rpc', onPost)
  // A token URL (`/rpc/<token>`, checked by the guard) for clients that cannot set headers.
  app.post('/rpc/:token', onPost)
}
