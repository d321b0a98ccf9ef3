import type { FastifyRequest } from 'fastify'
import { NONCE_FORMAT } from './transcript.js'

const PROTOCOL = 'walletd.v1'
const NONCE_PROTOCOL_PREFIX = 'walletd.nonce.'

/**
 * The client nonce of a handshake, when the request asks for one: a `walletd.nonce.<nonce>` entry
 * beside `walletd.v1` in Sec-WebSocket-Protocol (a WebSocket upgrade), or `?nonce=<nonce>` on
 * `GET /events` (an EventSource cannot set headers). The nonce is public: it only makes the
 * daemon's signed hello fresh. Else undefined.
 */
export function handshakeNonce(req: FastifyRequest): string | undefined {
  let nonce: string | undefined
  if (req.headers.upgrade !== undefined) {
    const header = req.headers['sec-websocket-protocol']
    if (typeof header !== 'string' || header.length > 512) return undefined
    const list = header.split(',').map((p) => p.trim())
    if (!list.includes(PROTOCOL)) return undefined
    nonce = list.find((p) => p.startsWith(NONCE_PROTOCOL_PREFIX))?.slice(NONCE_PROTOCOL_PREFIX.length)
  } else if (req.method === 'GET') {
    const query = req.url.split('?', 2)[1]
    if (query === undefined || query.length > 512) return undefined
    nonce = new URLSearchParams(query).get('nonce') ?? undefined
  }
  return nonce !== undefined && NONCE_FORMAT.test(nonce) ? nonce : undefined
}
