import type { Logger } from 'pino'
import type { Address } from 'viem'
import type { z } from 'zod'
import type { AnswerRule, ApprovalDraft, ApprovalKind, ApprovalRequest, Decided } from '../approval/types.js'
import type { CostClass } from '../config/schema.js'
import type { JsonRpcErrorObject } from '../errors/toJsonRpcError.js'
import type { Session } from '../session/types.js'
import type { Services } from './services.js'

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

/** Per-request state. The method is resolved before the steps run (createRpcPipeline). */
export interface RequestContext {
  readonly request: RpcRequest
  readonly conn: Connection
  readonly log: Logger
  readonly signal: AbortSignal
  /**
   * The origin's session as of this request, looked up once (a default view, stored nowhere,
   * for an origin that has none yet). Changes go through `services.sessions`.
   */
  readonly session: Session
  /** The method's definition, once found in the table (see ResolvedContext). */
  readonly method?: MethodDefinition
  /** Set by validateParams: the parsed, normalised params. */
  params?: unknown
  /** Set by the approval step: the request shown and how it was decided. */
  approval?: { readonly request: ApprovalRequest; readonly decided: Decided; readonly prepared: unknown }
}

/** A request whose method was found in the table. */
export interface ResolvedContext extends RequestContext {
  readonly method: MethodDefinition
}

/** What an approval left for the handler: the prepared value, and the accounts chosen (connect). */
export type Approved<Prepared> = {
  readonly prepared: Prepared
  readonly accounts: readonly Address[] | undefined
}

export type MethodArgs<P> = {
  params: P
  ctx: ResolvedContext
  services: Services
}

export type HandlerArgs<P, Prepared> = MethodArgs<P> & {
  /** Present when the request was approved (methods with an `approval` that applied). */
  approved: Approved<Prepared> | undefined
}

/**
 * `none`: anyone with a connection; `unlocked`: walletd must hold an unlocked account (connect
 * requests); `accounts`: unlocked, and the session granted every account the request acts for.
 */
export type Permission = 'none' | 'unlocked' | 'accounts'

/**
 * A method's approval: the kind of prompt it makes, what approving takes, when it applies, and
 * `prepare`, which checks, fills and describes the request (display text, typed facts, warnings)
 * and hands its `prepared` value to the handler typed.
 */
export type ApprovalSpec<P, Prepared> = {
  readonly kind: ApprovalKind
  /** Default `yes`. */
  readonly answer?: AnswerRule
  /** Only ask when this holds (e.g. not yet granted); default: always. Cheap and synchronous. */
  readonly when?: (args: MethodArgs<P>) => boolean
  readonly prepare: (args: MethodArgs<P>) => Promise<ApprovalDraft<Prepared>>
}

/**
 * A wallet method: its params schema, the permission it needs, its rate-limit cost class, its
 * approval (if any), and its handler. Declared in one module per wire method.
 */
// biome-ignore lint/suspicious/noExplicitAny: the method table holds definitions of every param/result type
export interface MethodDefinition<P = any, R = any, Prepared = any> {
  readonly method: string
  readonly params: z.ZodType<P>
  readonly permission: Permission
  readonly cost: CostClass
  readonly approval?: ApprovalSpec<P, Prepared> | undefined
  /**
   * The handler makes what the audit log records (a grant, revoke or chain switch; a decision made
   * over the admin socket): the answer waits until that record is on disk (as it does for every
   * method with an approval).
   */
  readonly audited?: true
  /** Accounts the request acts for; authorize checks each is permitted for the origin (4100). */
  readonly accounts?: (params: P) => readonly Address[]
  readonly handler: (args: HandlerArgs<P, Prepared>) => Promise<R>
}

/**
 * What one step of the pipeline does for one method, decided once per method (`Step.plan`), so a
 * request runs only the work its method needs: plain synchronous checks where the step is
 * synchronous (no promise per step), a wrapper only where the step waits or acts after the rest.
 */
export type StepPlan = {
  /** Synchronous: returns to go on, throws an RpcError to refuse. */
  readonly check?: (ctx: ResolvedContext) => void
  /** Wraps the rest of the pipeline: returns `next()`'s result (or its own), or throws. */
  readonly around?: (ctx: ResolvedContext, next: () => Promise<unknown>) => Promise<unknown>
  /** Ends the request with its result (the last step). */
  readonly end?: (ctx: ResolvedContext) => Promise<unknown>
}

/** One step of the pipeline: its plan for a method, or null when it has nothing to do for it. */
export type Step = {
  readonly name: string
  plan(method: MethodDefinition): StepPlan | null
}
