import { fromBase64url, toBase64url } from './base64url.js'
import { IDENTITY_MISMATCH, LinkError } from './errors.js'

/**
 * The provider's side of walletd's handshake (docs/protocol.md, "The handshake"): verify the
 * daemon's signed hello with the public key the host injected, then prove the token with an HMAC
 * over the same transcript. WebCrypto only (`crypto.subtle`: every secure context, which is every
 * page walletd accepts).
 */
export type Hello = {
  protocol?: unknown
  alg?: unknown
  serverNonce?: unknown
  signature?: unknown
  stream?: unknown
}

export type TranscriptParts = {
  clientNonce: string
  serverNonce: string
  origin: string
  host: string
  port: number
}

const encoder = new TextEncoder()

/** The six lines the daemon signs (kept equal to src/server/handshake/transcript.ts by a test). */
export function helloTranscript(p: TranscriptParts): string {
  return [
    'walletd-hello-v1',
    p.clientNonce,
    p.serverNonce,
    p.origin,
    p.host.toLowerCase(),
    String(p.port),
  ].join('\n')
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) {
    throw new LinkError(
      'refused',
      'WebCrypto (crypto.subtle) is not available here: the walletd handshake needs a secure context (https, or http on localhost).',
    )
  }
  return s
}

/** A fresh client nonce: 32 random bytes, base64url. */
export function newNonce(): string {
  return toBase64url(globalThis.crypto.getRandomValues(new Uint8Array(32)))
}

/** Host and port of a walletd URL, as they appear in the transcript. */
export function hostAndPort(url: string): { host: string; port: number } {
  const u = new URL(url)
  const port = u.port ? Number(u.port) : u.protocol === 'https:' || u.protocol === 'wss:' ? 443 : 80
  return { host: u.host.toLowerCase(), port }
}

/**
 * Checks the hello against the injected public key. Throws a LinkError of kind `identity` when it is
 * not walletd's hello or its signature does not verify: the caller then sends nothing.
 */
export async function verifyHello(
  message: unknown,
  publicKey: string,
  parts: Omit<TranscriptParts, 'serverNonce'>,
): Promise<{ transcript: string; hello: Hello }> {
  const msg = message as { method?: unknown; params?: unknown }
  const hello = (Array.isArray(msg?.params) ? msg.params[0] : undefined) as Hello | undefined
  const mismatch = (why: string) =>
    new LinkError('identity', `${IDENTITY_MISMATCH}: ${why}; nothing was sent to it.`)
  if (
    msg?.method !== 'walletd_hello' ||
    !hello ||
    hello.alg !== 'ES256' ||
    typeof hello.serverNonce !== 'string' ||
    typeof hello.signature !== 'string'
  ) {
    throw mismatch('the peer did not start with a walletd hello')
  }
  const transcript = helloTranscript({ ...parts, serverNonce: hello.serverNonce })
  let ok = false
  try {
    const key = await subtle().importKey(
      'raw',
      fromBase64url(publicKey),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
    ok = await subtle().verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      fromBase64url(hello.signature),
      encoder.encode(transcript),
    )
  } catch (err) {
    if (err instanceof LinkError) throw err
    ok = false
  }
  if (!ok) throw mismatch("the hello's signature does not verify with the injected public key")
  return { transcript, hello }
}

/** The proof of `token`: HMAC-SHA256 keyed by SHA-256(token) over the relabelled transcript, base64url. */
export async function proveToken(token: string, transcript: string): Promise<string> {
  const keyBytes = await subtle().digest('SHA-256', encoder.encode(token))
  const key = await subtle().importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await subtle().sign('HMAC', key, encoder.encode(`walletd-auth-v1\n${transcript}`))
  return toBase64url(new Uint8Array(mac))
}

/** The `walletd_auth` message, and how to read walletd's answer to it. */
export const authRequest = (proof: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: 'walletd_auth', method: 'walletd_auth', params: [{ proof }] })

export function checkAuthAnswer(message: unknown): void {
  const m = message as { id?: unknown; result?: unknown; error?: { message?: unknown } }
  if (m?.id === 'walletd_auth' && m.result === true) return
  throw new LinkError(
    'refused',
    "walletd refused the provider's token (revoked, or not allowed for this origin); the host must inject a valid one.",
  )
}
