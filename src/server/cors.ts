import type { FastifyRequest } from 'fastify'

/** The one request header a page may add on `POST /rpc`: the event stream its requests belong to. */
export const STREAM_HEADER = 'x-walletd-stream'

/** A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function isPreflight(req: FastifyRequest): boolean {
  return req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string'
}

/**
 * Granted on `/rpc` only for the fallback's own request: a POST naming an event stream
 * (`x-walletd-stream`, with `content-type`). Never `authorization`, so a page cannot present a
 * Bearer token (it must run the handshake on an event stream); any other preflight is 403.
 */
export function preflightAllowed(req: FastifyRequest): boolean {
  if (req.headers['access-control-request-method'] !== 'POST') return false
  const asked = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  return asked.includes(STREAM_HEADER) && asked.every((h) => h === 'content-type' || h === STREAM_HEADER)
}

/** The CORS headers of an answer to a page on `origin` (its own Origin header, already validated). */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, vary: 'origin' }
}
