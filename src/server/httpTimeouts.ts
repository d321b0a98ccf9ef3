import type { ServerOptions } from 'node:http'

export type HttpTimeoutSettings = {
  headersTimeoutMs: number
  requestTimeoutMs: number
  keepAliveTimeoutMs: number
}

/**
 * node:http server options that make each timeout fire within a second of its setting:
 * - `connectionsCheckingInterval`: node checks header and request timeouts only this often (30 s by
 *   default: a 5 s header timeout fired at 14 s, a 10 s body timeout at 30 s, a silent socket was
 *   reaped after up to 30 s); a quarter of the shorter timeout, between 25 and 250 ms.
 * - `keepAliveTimeout`: node keeps an idle keep-alive socket 1 s longer than this (so that clients,
 *   told `Keep-Alive: timeout=N`, close first); passing the setting − 500 ms closes it within
 *   0.5 s after the setting (at about 1 s for settings under 0.5 s), and tells clients less.
 */
export function httpServerTimeouts(s: HttpTimeoutSettings): ServerOptions {
  return {
    headersTimeout: s.headersTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    keepAliveTimeout: Math.max(1, s.keepAliveTimeoutMs - 500),
    connectionsCheckingInterval: Math.max(
      25,
      Math.min(250, Math.floor(Math.min(s.headersTimeoutMs, s.requestTimeoutMs) / 4)),
    ),
  }
}
