import type { Logger } from 'pino'
import type { Address } from 'viem'
import type { z } from 'zod'
import type { CostClass } from '../config/schema.js'
import type { JsonRpcErrorObject } from '../errors/toJsonRpcError.js'

export type JsonRpcId = string | number | null

/** A request after the envelope was checked. `params` is still unvalidated. */
export type RpcRequest = {
  jsonrpc: '2.0'
  /** Absent for notifications (no response is sent). */
  id?: JsonRpcId
  method: string
  params?: unknown
}

export type JsonRpcSuccess = { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
export type JsonRpcFailure = { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject }
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure

/** How a connection reaches walletd. `sse` is a server-sent-events stream (pushes) whose requests arrive over HTTP. */
export type Transport = 'ws' | 'http' | 'sse' | 'admin'

/**
 * One client connection (a WebSocket, or for HTTP one request). The origin comes from the
 * transport (the Origin header, or `token:<name>` for clients without one), never from a payload.
 */
export interface Connection {
  readonly id: string
  readonly transport: Transport
  /** Normalised origin (`https://app.example`) or `token:<name>`. The session key. */
  readonly origin: string
  /** Name of the host token that authorised the connection, if any. */
  readonly tokenName: string | null
  readonly log: Logger
  /** Sends a server push (subscription notifications, provider events); connections that can receive them only. */
  readonly notify: ((message: object) => void) | undefined
  /** Registers cleanup for when the connection closes (subscriptions, filters, prompts). */
  onClose(fn: () => void): void
  readonly closed: boolean
  /** Requests currently being handled on this connection. */
  inFlight: number
}

export type ApprovalWarning = { level: 'critical' | 'warning'; message: string }

/** What a method shows the approver before it runs (see src/approval). */
export type ApprovalDraft<Prepared = unknown> = {
  /** One human line: "Sign a message", "Send 1.5 ETH to 0x…". */
  summary: string
  /** Decoded, displayable details: only what will actually be signed or sent. */
  details: Record<string, unknown>
  warnings: ApprovalWarning[]
  /** Data computed while preparing (filled transaction, digest) handed to the handler. */
  prepared?: Prepared
}

/** Per-request state, built up by the pipeline steps. */
export interface RequestContext {
  readonly request: RpcRequest
  readonly conn: Connection
  readonly log: Logger
  readonly signal: AbortSignal
  /** Set by resolveMethod. */
  method?: MethodDefinition
  /** Set by validateParams: the parsed, normalised params. */
  params?: unknown
  /** Set by the approval step when the method prepared something. */
  prepared?: unknown
}

export type HandlerArgs<P, S> = {
  params: P
  ctx: RequestContext
  services: S
  /** What `prepare` produced (approval methods only). */
  prepared: unknown
}

export type Permission = 'none' | 'accounts'
export type ApprovalPolicy = 'never' | 'always'

/**
 * A wallet method: its params schema, the permission it needs, its rate-limit cost class, whether
 * it needs approval, and its handler. Declared in one module per wire method.
 */
// biome-ignore lint/suspicious/noExplicitAny: the method table holds definitions of every param/result type
export interface MethodDefinition<P = any, R = any, S = any> {
  readonly method: string
  readonly params: z.ZodType<P>
  readonly permission: Permission
  readonly cost: CostClass
  /** 'always', 'never', or a predicate over the validated request (e.g. only when not yet granted). */
  readonly approval: ApprovalPolicy | ((args: Omit<HandlerArgs<P, S>, 'prepared'>) => boolean)
  /** Accounts the request acts for; authorize checks each is permitted for the origin (4100). */
  readonly accounts?: (params: P) => readonly Address[]
  /** Runs before approval: checks, fills and describes the request. May throw a typed RpcError. */
  readonly prepare?: (args: Omit<HandlerArgs<P, S>, 'prepared'>) => Promise<ApprovalDraft>
  readonly handler: (args: HandlerArgs<P, S>) => Promise<R>
}

export type Middleware = (ctx: RequestContext, next: () => Promise<unknown>) => Promise<unknown>
