import { InternalError, RpcError } from './rpc.js'

export type JsonRpcErrorObject = { code: number; message: string; data?: unknown }

/**
 * The only serializer of errors sent to clients: `{ code, message, data? }`. Never the stack,
 * `cause` or `details`; anything that is not an `RpcError` becomes a bare -32603.
 */
export function toJsonRpcError(err: unknown): JsonRpcErrorObject {
  if (err instanceof RpcError) {
    return err.data === undefined
      ? { code: err.code, message: err.shortMessage }
      : { code: err.code, message: err.shortMessage, data: err.data }
  }
  return { code: InternalError.code, message: 'Internal error.' }
}
