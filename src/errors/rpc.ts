import { WalletdError, type WalletdErrorOptions } from './base.js'

/**
 * An error that is sent to a JSON-RPC client. One subclass per EIP-1193 / EIP-1474 code; the
 * only place that turns one into a wire object is `toJsonRpcError`.
 */
export class RpcError extends WalletdError {
  override name = 'RpcError'
  readonly code: number
  readonly data: unknown

  constructor(code: number, shortMessage: string, data?: unknown, options?: WalletdErrorOptions) {
    super(shortMessage, options)
    this.code = code
    this.data = data
  }
}

type Opts = { message?: string; data?: unknown } & WalletdErrorOptions

function make<const C extends number>(code: C, name: string, defaultMessage: string) {
  const cls = class extends RpcError {
    static readonly code: C = code
    override name = name
    constructor({ message, data, ...options }: Opts = {}) {
      super(code, message ?? defaultMessage, data, options)
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  return cls
}

// JSON-RPC 2.0
/** -32700: the frame is not valid JSON. */
export const ParseError = make(-32700, 'ParseError', 'Parse error.')
/** -32600: the JSON is not a valid JSON-RPC 2.0 request object. */
export const InvalidRequestError = make(-32600, 'InvalidRequestError', 'Invalid request.')
/** -32601: the method does not exist or is deliberately not available (MetaMask wording). */
export const MethodNotFoundError = make(-32601, 'MethodNotFoundError', 'Method not found.')
/** -32602: the params do not match the method's schema. */
export const InvalidParamsError = make(-32602, 'InvalidParamsError', 'Invalid parameters.')
/** -32603: an internal error; details go to the log only. */
export const InternalError = make(-32603, 'InternalError', 'Internal error.')

// EIP-1474
/** -32000: missing or invalid input. */
export const InvalidInputError = make(-32000, 'InvalidInputError', 'Invalid input.')
/** -32001: the requested resource was not found. */
export const ResourceNotFoundError = make(-32001, 'ResourceNotFoundError', 'Resource not found.')
/** -32002: the resource is busy (e.g. a prompt of this kind is already pending for the origin). */
export const ResourceUnavailableError = make(-32002, 'ResourceUnavailableError', 'Resource unavailable.')
/** -32003: the transaction was rejected. */
export const TransactionRejectedError = make(-32003, 'TransactionRejectedError', 'Transaction rejected.')
/** -32004: the method is known but not supported by walletd. */
export const MethodNotSupportedError = make(-32004, 'MethodNotSupportedError', 'Method not supported.')
/** -32005: a rate or size limit was exceeded; `data.retryAfterMs` says when to retry. */
export const LimitExceededError = make(-32005, 'LimitExceededError', 'Limit exceeded.')
/** -32006: the JSON-RPC version is not supported. */
export const JsonRpcVersionUnsupportedError = make(
  -32006,
  'JsonRpcVersionUnsupportedError',
  'JSON-RPC version not supported.',
)

// EIP-1193
/** 4001: the user (or the approval policy, or a timeout) rejected the request. */
export const UserRejectedRequestError = make(4001, 'UserRejectedRequestError', 'User rejected the request.')
/** 4100: the origin is not authorized for this method or account. */
export const UnauthorizedError = make(
  4100,
  'UnauthorizedError',
  'The requested method and/or account has not been authorized by the user.',
)
/** 4200: the method is not supported by walletd. */
export const UnsupportedMethodError = make(4200, 'UnsupportedMethodError', 'Unsupported method.')
/** 4900: disconnected from all chains. */
export const DisconnectedError = make(
  4900,
  'DisconnectedError',
  'The provider is disconnected from all chains.',
)
/** 4901: the upstream of the requested chain is not reachable. */
export const ChainDisconnectedError = make(
  4901,
  'ChainDisconnectedError',
  'The provider is not connected to the requested chain.',
)
/** 4902: the chain id is not known; add it with wallet_addEthereumChain first. */
export const UnrecognizedChainError = make(4902, 'UnrecognizedChainError', 'Unrecognized chain ID.')

// EIP-5792 (wallet_sendCalls and its status)
/** 5700: a capability the request marks as required (not `optional: true`) is not supported. */
export const UnsupportedNonOptionalCapabilityError = make(
  5700,
  'UnsupportedNonOptionalCapabilityError',
  'This wallet does not support a capability that was not marked as optional.',
)
/** 5710: the batch is for a chain walletd does not send batches on (not the session's active chain). */
export const UnsupportedChainIdError = make(
  5710,
  'UnsupportedChainIdError',
  'This wallet does not support the requested chain ID.',
)
/** 5720: the app-provided batch id is already used by this origin. */
export const DuplicateIdError = make(
  5720,
  'DuplicateIdError',
  'There is already a bundle submitted with this ID.',
)
/** 5730: no batch with this id for this origin (unknown, expired, or another origin's). */
export const UnknownBundleIdError = make(
  5730,
  'UnknownBundleIdError',
  'This bundle id is unknown / has not been submitted.',
)
/** 5740: more calls than `batches.maxCalls`. */
export const BundleTooLargeError = make(
  5740,
  'BundleTooLargeError',
  'The call bundle is too large for the wallet to process.',
)
/** 5760: `atomicRequired: true`; a plain key cannot execute calls atomically. */
export const AtomicityNotSupportedError = make(
  5760,
  'AtomicityNotSupportedError',
  'The wallet does not support atomic execution but the request requires it.',
)

/**
 * An error answered by an upstream node, passed through with its own code, message and data.
 * Upstream errors are the node's words, not walletd's: they are relayed unchanged.
 */
export class UpstreamRpcError extends RpcError {
  override name = 'UpstreamRpcError'
}

/** Every RPC error class walletd sends, for docs and tests. */
export const rpcErrorClasses = [
  ParseError,
  InvalidRequestError,
  MethodNotFoundError,
  InvalidParamsError,
  InternalError,
  InvalidInputError,
  ResourceNotFoundError,
  ResourceUnavailableError,
  TransactionRejectedError,
  MethodNotSupportedError,
  LimitExceededError,
  JsonRpcVersionUnsupportedError,
  UserRejectedRequestError,
  UnauthorizedError,
  UnsupportedMethodError,
  DisconnectedError,
  ChainDisconnectedError,
  UnrecognizedChainError,
  UnsupportedNonOptionalCapabilityError,
  UnsupportedChainIdError,
  DuplicateIdError,
  UnknownBundleIdError,
  BundleTooLargeError,
  AtomicityNotSupportedError,
] as const
