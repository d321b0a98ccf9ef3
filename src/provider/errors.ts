/**
 * An EIP-1193 error: `code` (EIP-1193 / EIP-1474 / JSON-RPC, or a CloseEvent code on `disconnect`),
 * a human-readable `message`, optional `data`.
 */
export class ProviderRpcError extends Error {
  override name = 'ProviderRpcError'
  readonly code: number
  readonly data: unknown

  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    if (data !== undefined) this.data = data
  }
}

/** 4900: the provider is disconnected from walletd (and so from every chain). */
export const DISCONNECTED = 4900
/** -32600: `request()` was called with arguments that are not a request. */
export const INVALID_REQUEST = -32600
/** 4200: a legacy synchronous call the provider cannot answer. */
export const UNSUPPORTED_METHOD = 4200
/** CloseEvent codes of `disconnect`: 1013 try again later (it reconnects), 1011 it will not. */
export const CLOSE_RECOVERABLE = 1013
export const CLOSE_PERMANENT = 1011

/** The message of the one failure that is never retried in another way. */
export const IDENTITY_MISMATCH = 'wallet daemon identity mismatch'

/** Why a link could not be opened: the kind decides what the provider does next. */
export class LinkError extends Error {
  override name = 'LinkError'
  /**
   * `identity`: the peer is not the walletd the host named (fatal, no fallback); `refused`: walletd
   * refused the token (fatal); `blocked`: the page may not connect this way (CSP: try the next
   * transport); `unreachable`: nothing answered, or the link dropped (retry later).
   */
  readonly kind: 'identity' | 'refused' | 'blocked' | 'unreachable'

  constructor(kind: LinkError['kind'], message: string) {
    super(message)
    this.kind = kind
  }
}
