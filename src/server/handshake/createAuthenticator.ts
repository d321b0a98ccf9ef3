import { randomBytes } from 'node:crypto'
import { UnauthorizedError } from '../../errors/rpc.js'
import { toJsonRpcError } from '../../errors/toJsonRpcError.js'
import type { Authenticator } from '../createConnectionLayer.js'
import type { TokenStore } from '../createTokenStore.js'
import type { IdentityKey } from './loadIdentityKey.js'
import { authMessage, helloTranscript } from './transcript.js'

export type CreateAuthenticatorOptions = {
  identity: IdentityKey
  tokens: Pick<TokenStore, 'verifyProof'>
  clientNonce: string
  /** The normalised Origin of the request. */
  origin: string
  /** The Host header of the request. */
  host: string
  /** The port walletd bound. */
  port: number
  /** Extra fields of the hello (the event stream's id). */
  extra?: Record<string, string>
}

const PROOF_ID_MAX = 64

/**
 * The daemon's side of the handshake for one connection. Its hello, the connection's first
 * message, carries a fresh server nonce and the identity key's signature over the transcript (both
 * nonces, Origin, Host, port), so a provider can tell the real daemon from a squatter on the port
 * before it sends anything. The one message it then accepts is `walletd_auth` with an HMAC over
 * the transcript keyed by a token's handshake key: proof of the token without sending it, bound to
 * this connection's nonces (no replay) and to its origin (origin-bound tokens hold).
 */
export function createAuthenticator(options: CreateAuthenticatorOptions): Authenticator {
  const serverNonce = randomBytes(32).toString('base64url')
  const transcript = helloTranscript({ ...options, serverNonce })
  const hello = JSON.stringify({
    jsonrpc: '2.0',
    method: 'walletd_hello',
    params: [
      {
        protocol: 'walletd/1',
        alg: options.identity.alg,
        serverNonce,
        signature: options.identity.sign(transcript),
        ...options.extra,
      },
    ],
  })
  const refuse = (id: unknown, reason: string) => ({
    ok: false as const,
    reason,
    answer: JSON.stringify({
      jsonrpc: '2.0',
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: toJsonRpcError(new UnauthorizedError({ message: 'Authentication failed.' })),
    }),
  })
  return {
    hello,
    verify(text) {
      let msg: { id?: unknown; method?: unknown; params?: unknown }
      try {
        msg = text.length > 4096 ? {} : (JSON.parse(text) as typeof msg)
      } catch {
        return refuse(null, 'the first message is not JSON')
      }
      // JSON `null` (or a bare string, number…) is no message: read nothing from it.
      if (typeof msg !== 'object' || msg === null)
        return refuse(null, 'the first message is not walletd_auth')
      const id = typeof msg.id === 'string' && msg.id.length > PROOF_ID_MAX ? null : msg.id
      if (msg.method !== 'walletd_auth') return refuse(id, 'the first message is not walletd_auth')
      const proof = Array.isArray(msg.params)
        ? (msg.params[0] as { proof?: unknown } | undefined)?.proof
        : undefined
      if (typeof proof !== 'string') return refuse(id, 'walletd_auth without a proof')
      const tokenName = options.tokens.verifyProof(proof, authMessage(transcript), options.origin)
      if (tokenName === null) return refuse(id, 'the proof matches no token allowed for this origin')
      return { ok: true, tokenName, answer: JSON.stringify({ jsonrpc: '2.0', id: id ?? null, result: true }) }
    },
  }
}
