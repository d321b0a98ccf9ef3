import { ChainDisconnectedError, InternalError, RpcError, UpstreamRpcError } from '../errors/rpc.js'
import { scrubUserinfo } from './redactUrl.js'

/** Why an upstream request failed without an answer from the node (`data.reason` of the 4901). */
export type UpstreamFailureReason = 'timeout' | 'unreachable' | 'disconnected'

/** How an upstream request ended (the `outcome` label of the upstream latency histogram). */
export type UpstreamOutcome = 'ok' | 'rpc_error' | 'invalid' | 'aborted' | UpstreamFailureReason

export const UPSTREAM_OUTCOMES: readonly UpstreamOutcome[] = [
  'ok',
  'rpc_error',
  'invalid',
  'aborted',
  'timeout',
  'unreachable',
  'disconnected',
]

export type UpstreamErrors = ReturnType<typeof createUpstreamErrors>

/**
 * The errors of one chain's upstream, shared by its transports. Client-facing messages never
 * contain an upstream URL; details (logs only) have userinfo scrubbed.
 */
export function createUpstreamErrors(chainId: number, requestTimeoutMs: number) {
  const chainHex = `0x${chainId.toString(16)}`

  /** No answer from the node: 4901 with `data.reason`. */
  function failure(reason: UpstreamFailureReason, detail?: string, method?: string): RpcError {
    const message =
      reason === 'timeout'
        ? `The upstream of chain ${chainId} did not answer ${method ?? 'the request'} within ${requestTimeoutMs} ms.`
        : reason === 'unreachable'
          ? `The upstream of chain ${chainId} is unreachable.`
          : `The connection to the upstream of chain ${chainId} was lost.`
    return new ChainDisconnectedError({
      message,
      data: { chainId: chainHex, reason },
      details: detail === undefined ? undefined : scrubUserinfo(detail),
    })
  }

  function malformed(detail: string): RpcError {
    return new InternalError({
      message: `The upstream of chain ${chainId} sent a malformed answer.`,
      details: scrubUserinfo(detail),
    })
  }

  /** The caller's abort reason when it is an RpcError (e.g. the connection closed), else -32603. */
  function aborted(signal: AbortSignal): unknown {
    return signal.reason instanceof RpcError
      ? signal.reason
      : new InternalError({ message: 'Request aborted.' })
  }

  /** Turns one JSON-RPC response object into the result, or throws the matching error. */
  function settleResponse(msg: Record<string, unknown>): unknown {
    const error = msg.error
    if (error !== undefined) {
      if (
        typeof error === 'object' &&
        error !== null &&
        Number.isInteger((error as { code?: unknown }).code) &&
        typeof (error as { message?: unknown }).message === 'string'
      ) {
        const e = error as { code: number; message: string; data?: unknown }
        throw new UpstreamRpcError(e.code, e.message, e.data)
      }
      throw malformed('error member is not a JSON-RPC error object')
    }
    if (!('result' in msg)) throw malformed('response has neither result nor error')
    return msg.result
  }

  return { failure, malformed, aborted, settleResponse }
}

/** The JSON-RPC request text walletd sends upstream (its own id; the client's never leaves). */
export function requestFrame(id: number, method: string, params: unknown): string {
  try {
    return `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params ?? [])}}`
  } catch (err) {
    throw new InternalError({ message: 'Request parameters cannot be serialized.', cause: err })
  }
}
