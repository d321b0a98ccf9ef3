/**
 * The handshake's transcript, byte for byte what the daemon signs and the provider verifies (the
 * provider has its own copy in src/provider/handshake.ts; a test keeps the two equal).
 */
export const HELLO_LABEL = 'walletd-hello-v1'
export const AUTH_LABEL = 'walletd-auth-v1'
/** A client nonce: base64url, 16 to 64 random bytes. */
export const NONCE_FORMAT = /^[A-Za-z0-9_-]{22,86}$/

export type HelloContext = {
  clientNonce: string
  serverNonce: string
  /** The normalised Origin of the request. */
  origin: string
  /** The Host header (a loopback host and the port), lowercase. */
  host: string
  /** The port walletd bound. */
  port: number
}

/** What the daemon's hello signature covers: both nonces, Origin, Host and port, one per line. */
export function helloTranscript(c: HelloContext): string {
  return [HELLO_LABEL, c.clientNonce, c.serverNonce, c.origin, c.host.toLowerCase(), String(c.port)].join(
    '\n',
  )
}

/** What the provider's proof (an HMAC keyed by its token) covers: the same transcript, relabelled. */
export function authMessage(transcript: string): string {
  return `${AUTH_LABEL}\n${transcript}`
}
