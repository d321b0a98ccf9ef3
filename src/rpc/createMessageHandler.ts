import type { Logger } from 'pino'
import {
  InvalidRequestError,
  JsonRpcVersionUnsupportedError,
  LimitExceededError,
  ParseError,
  RpcError,
} from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import type { Session } from '../session/types.js'
import { scanJsonDepth } from './scanJsonDepth.js'
import type { Services } from './services.js'
import type {
  Connection,
  JsonRpcId,
  JsonRpcResponse,
  MethodDefinition,
  RequestContext,
  RpcRequest,
} from './types.js'

export type MessageHandler = {
  /** Raw frame or body → serialized response (null when nothing is to be sent). Never throws. */
  handleText(text: string, conn: Connection, signal: AbortSignal): Promise<string | null>
  /** Parsed single request → response object (null for notifications). Never throws. */
  handleRequest(value: unknown, conn: Connection, signal: AbortSignal): Promise<JsonRpcResponse | null>
}

/**
 * One request's context. Its child logger (`{ rpcId, method }`) is made only when a step or
 * handler logs, and the origin's session is looked up once, when a step first needs it, then
 * handed on: getters on the prototype, no closure per request.
 */
class LiveRequest implements RequestContext {
  readonly method?: MethodDefinition
  params?: unknown
  approval?: RequestContext['approval']
  private requestLog: Logger | undefined
  private sessionView: Session | undefined
  constructor(
    readonly request: RpcRequest,
    readonly conn: Connection,
    readonly signal: AbortSignal,
    private readonly id: JsonRpcId,
    private readonly sessions: Services['sessions'],
  ) {}
  get log(): Logger {
    this.requestLog ??= this.conn.log.child({ rpcId: this.id, method: this.request.method })
    return this.requestLog
  }
  get session(): Session {
    this.sessionView ??= this.sessions.view(this.conn.origin)
    return this.sessionView
  }
}

const errorResponse = (id: JsonRpcId, err: unknown): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: toJsonRpcError(err),
})

/**
 * The transport-independent front of the pipeline: size and depth guards, JSON parse, envelope
 * check, batches (each element charged and capped), error serialization, metrics and the request
 * log line. Every failure becomes a JSON-RPC error; nothing escapes.
 */
export function createMessageHandler(
  services: Services,
  pipeline: (ctx: RequestContext) => Promise<unknown>,
): MessageHandler {
  const { config, metrics, sessions } = services
  /** Connection loggers are children of this one (same level): asking it makes no child. */
  const debugOn = () => services.log.isLevelEnabled('debug')
  const maxDepth = config.server.maxJsonDepth
  const maxBatch = config.server.maxBatchSize
  const maxIdLength = config.server.maxIdLength

  // Cached label children: the hot path does no label hashing.
  const perMethod = new Map<
    string,
    {
      ok: ReturnType<typeof metrics.requestsTotal.labels>
      hist: ReturnType<typeof metrics.requestDuration.labels>
    }
  >()
  const labelsFor = (method: string) => {
    let m = perMethod.get(method)
    if (!m) {
      m = { ok: metrics.requestsTotal.labels(method, 'ok'), hist: metrics.requestDuration.labels(method) }
      perMethod.set(method, m)
    }
    return m
  }

  function checkEnvelope(value: unknown): { id: JsonRpcId; request?: RpcRequest; error?: RpcError } {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return {
        id: null,
        error: new InvalidRequestError({
          message: 'Invalid request: expected a JSON-RPC 2.0 request object.',
        }),
      }
    }
    const v = value as Record<string, unknown>
    let id: JsonRpcId = null
    const hasId = Object.hasOwn(v, 'id')
    if (hasId) {
      const raw = v.id
      if (
        raw === null ||
        (typeof raw === 'number' && Number.isFinite(raw)) ||
        (typeof raw === 'string' && raw.length <= maxIdLength)
      ) {
        id = raw as JsonRpcId
      } else {
        return {
          id: null,
          error: new InvalidRequestError({
            message: `Invalid request: id must be a string (at most ${maxIdLength} characters), a number or null.`,
          }),
        }
      }
    }
    if (v.jsonrpc !== '2.0') {
      if (typeof v.jsonrpc === 'string')
        return {
          id,
          error: new JsonRpcVersionUnsupportedError({
            message: `JSON-RPC version not supported: got "${v.jsonrpc.slice(0, 16)}", expected "2.0".`,
          }),
        }
      return { id, error: new InvalidRequestError({ message: 'Invalid request: "jsonrpc" must be "2.0".' }) }
    }
    if (typeof v.method !== 'string' || v.method.length === 0 || v.method.length > 128) {
      return {
        id,
        error: new InvalidRequestError({
          message: 'Invalid request: "method" must be a non-empty string of at most 128 characters.',
        }),
      }
    }
    if (v.params !== undefined && (typeof v.params !== 'object' || v.params === null)) {
      return {
        id,
        error: new InvalidRequestError({
          message: 'Invalid request: "params" must be an array or an object.',
        }),
      }
    }
    const request: RpcRequest = { jsonrpc: '2.0', method: v.method, params: v.params }
    if (hasId) request.id = id
    return { id, request }
  }

  async function handleRequest(
    value: unknown,
    conn: Connection,
    signal: AbortSignal,
  ): Promise<JsonRpcResponse | null> {
    const started = performance.now()
    const { id, request, error } = checkEnvelope(value)
    if (!request) {
      metrics.requestsTotal.inc({ method: 'invalid', outcome: String(error!.code) })
      metrics.errors.inc({ code: String(error!.code) })
      return errorResponse(id, error)
    }
    // The connection's logger is touched only to log: over HTTP it is made on first use (a pino
    // child and an id per POST otherwise).
    const ctx = new LiveRequest(request, conn, signal, id, sessions)
    let response: JsonRpcResponse
    try {
      const result = await pipeline(ctx)
      response = { jsonrpc: '2.0', id, result: result === undefined ? null : result }
    } catch (err) {
      response = errorResponse(id, err)
      if (!(err instanceof RpcError)) conn.log.error({ err, method: request.method }, 'request failed')
    }
    const label = ctx.method ? ctx.method.method : 'unknown'
    const m = labelsFor(label)
    m.hist.observe((performance.now() - started) / 1000)
    if ('error' in response) {
      metrics.requestsTotal.inc({ method: label, outcome: String(response.error.code) })
      metrics.errors.inc({ code: String(response.error.code) })
      if (debugOn())
        conn.log.debug({ rpcId: id, method: label, code: response.error.code }, 'request refused')
    } else {
      m.ok.inc()
      if (debugOn()) conn.log.debug({ rpcId: id, method: label }, 'request ok')
    }
    return request.id === undefined ? null : response
  }

  async function handleBatch(
    items: unknown[],
    conn: Connection,
    signal: AbortSignal,
  ): Promise<string | null> {
    if (items.length === 0)
      return JSON.stringify(
        errorResponse(null, new InvalidRequestError({ message: 'Invalid request: empty batch.' })),
      )
    if (items.length > maxBatch) {
      metrics.requestsTotal.inc({ method: 'batch', outcome: String(LimitExceededError.code) })
      return JSON.stringify(
        errorResponse(
          null,
          new LimitExceededError({
            message: `Batch too large: ${items.length} requests, at most ${maxBatch}.`,
            data: { limit: 'batch', maxBatchSize: maxBatch },
          }),
        ),
      )
    }
    const responses = await Promise.all(items.map((item) => handleRequest(item, conn, signal)))
    const sent = responses.filter((r): r is JsonRpcResponse => r !== null)
    return sent.length === 0 ? null : JSON.stringify(sent)
  }

  async function handleText(text: string, conn: Connection, signal: AbortSignal): Promise<string | null> {
    if (scanJsonDepth(text, maxDepth) > maxDepth) {
      metrics.requestsTotal.inc({ method: 'invalid', outcome: String(InvalidRequestError.code) })
      return JSON.stringify(
        errorResponse(
          null,
          new InvalidRequestError({
            message: `Invalid request: JSON nested deeper than ${maxDepth} levels.`,
          }),
        ),
      )
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      metrics.requestsTotal.inc({ method: 'invalid', outcome: String(ParseError.code) })
      return JSON.stringify(
        errorResponse(null, new ParseError({ message: 'Parse error: the message is not valid JSON.' })),
      )
    }
    try {
      if (Array.isArray(value)) return await handleBatch(value, conn, signal)
      const response = await handleRequest(value, conn, signal)
      return response === null ? null : JSON.stringify(response)
    } catch (err) {
      // Serialization of a pathological result: still an answer, never a crash.
      conn.log.error({ err }, 'could not serialize a response')
      return JSON.stringify(errorResponse(null, err))
    }
  }

  return { handleText, handleRequest }
}
