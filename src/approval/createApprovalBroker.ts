import { randomUUID } from 'node:crypto'
import type { Address } from 'viem'
import { ResourceUnavailableError } from '../errors/rpc.js'
import type {
  AnswerRule,
  ApprovalDecision,
  ApprovalDraft,
  ApprovalKind,
  ApprovalRequest,
  Approver,
  Decided,
  DecisionReason,
} from './types.js'
import { DECISION_REASONS } from './types.js'

export type ApprovalBrokerOptions = {
  /** In-process approvers (terminal, notification, policy). They race; the first decision wins. */
  approvers: readonly Approver[]
  /**
   * Decisions may also arrive from outside through `decide(id, …)` (the CLI over the admin socket):
   * requests then wait for one even when no in-process approver decides.
   */
  external?: boolean
  /** A request not decided in time is rejected (reason `timeout`). */
  timeoutMs: number
  now?: () => number
  newId?: () => string
  /** Requests pending across all origins; more get -32002. Default 16. */
  maxPending?: number
  /** Consecutive rejections (by a person) that start an origin's cooldown. Default 3. */
  cooldownAfter?: number
  /** While cooling down, the origin's requests are rejected without asking. Default 30 s. */
  cooldownMs?: number
  onCooldown?: (origin: string, untilMs: number) => void
  /** Every verdict, with who decided (the audit log and metrics listen here). */
  onDecision?: (request: ApprovalRequest, decided: Decided) => void
}

export type ApprovalInput = {
  origin: string
  method: string
  kind: ApprovalKind
  answer: AnswerRule
  chainId: number
  draft: ApprovalDraft
}

export type BrokerEvent =
  | { type: 'added'; request: ApprovalRequest }
  | { type: 'settled'; request: ApprovalRequest; decided: Decided }

export type ExternalDecisionResult =
  | { ok: true; decided: Decided }
  | { ok: false; error: 'unknown-request' | 'invalid-decision' }

export type ApprovalBroker = ReturnType<typeof createApprovalBroker>

/** Kinds that share one pending slot per origin: a page gets one signature prompt at a time. */
const slotOf = (kind: ApprovalKind): string =>
  kind === 'message' || kind === 'typedData' || kind === 'transaction' || kind === 'calls' ? 'sign' : kind

type Pending = {
  request: ApprovalRequest
  finish: (decided: Decided) => void
}

/**
 * The one approval broker: every approver plugs into it. It turns a method's draft into an
 * immutable request with an id, keeps it in a pending store (listed and decided by id over the
 * admin socket), applies the queue rules (one pending request per origin and kind → -32002, a
 * global cap, a cooldown after repeated rejections), and races the approvers: the first valid
 * decision wins and the others are withdrawn (their signals abort).
 *
 * Fails closed: critical warnings are refused without asking; no approver, a timeout, a closed
 * connection, an approver error or a malformed answer all reject. A connect approval may choose
 * accounts, but only among those offered (anything else is `invalid-decision`).
 */
export function createApprovalBroker({
  approvers,
  external = false,
  timeoutMs,
  now = Date.now,
  newId = randomUUID,
  maxPending = 16,
  cooldownAfter = 3,
  cooldownMs = 30_000,
  onCooldown,
  onDecision,
}: ApprovalBrokerOptions) {
  const instant = approvers.filter((a) => a.instant === true)
  const interactive = approvers.filter((a) => a.instant !== true)
  const pending = new Map<string, Pending>()
  const slots = new Set<string>()
  const rejections = new Map<string, { count: number; until: number }>()
  const listeners = new Set<(event: BrokerEvent) => void>()
  let closed = false

  const emit = (event: BrokerEvent) => {
    for (const fn of listeners) {
      try {
        fn(event)
      } catch {}
    }
  }

  const timedOut: Decided = Object.freeze({ approved: false, reason: 'timeout', by: 'walletd', asked: true })

  /**
   * An approval that arrives when the request's `expiresAt` has passed on walletd's clock is a
   * timeout: the deadline is enforced by a timer (which clock jumps do not move) and by the clock
   * (so a clock that jumped forward expires a request, never approves it late).
   */
  const unlessExpired = (request: ApprovalRequest, decided: Decided): Decided =>
    decided.approved && !(now() < request.expiresAt) ? timedOut : decided

  const refuse = (reason: DecisionReason): Decided => ({
    approved: false,
    reason,
    by: 'walletd',
    asked: false,
  })

  function record(request: ApprovalRequest, decided: Decided): Decided {
    const { origin } = request
    if (decided.approved) rejections.delete(origin)
    else if (decided.reason === 'rejected' && decided.asked && decided.rule === undefined) {
      const r = rejections.get(origin) ?? { count: 0, until: 0 }
      r.count += 1
      if (r.count >= cooldownAfter) {
        r.count = 0
        r.until = now() + cooldownMs
        onCooldown?.(origin, r.until)
      }
      rejections.set(origin, r)
    }
    try {
      onDecision?.(request, decided)
    } catch {}
    return decided
  }

  /**
   * One instant approver's answer, bounded by the request's timeout and its signal: a decision,
   * undefined (abstained), `'error'` (it threw), or an Error(`timeout` | `cancelled`).
   */
  async function askInstant(
    approver: Approver,
    request: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<ApprovalDecision | undefined | 'error' | Error> {
    const c = new AbortController()
    const onAbort = () => c.abort(new Error('cancelled'))
    signal.addEventListener('abort', onAbort, { once: true })
    const timer = setTimeout(() => c.abort(new Error('timeout')), timeoutMs)
    timer.unref?.()
    try {
      return await Promise.race([
        Promise.resolve()
          .then(() => approver.decide(request, c.signal))
          .then(
            (d) => (d === null ? undefined : d),
            () => 'error' as const,
          ),
        new Promise<Error>((resolve) =>
          c.signal.addEventListener('abort', () => resolve(c.signal.reason as Error), { once: true }),
        ),
      ])
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      c.abort(new Error('withdrawn'))
    }
  }

  function freeze(input: ApprovalInput): ApprovalRequest {
    const created = now()
    const { draft } = input
    return Object.freeze({
      id: newId(),
      origin: input.origin,
      method: input.method,
      kind: input.kind,
      chainId: input.chainId,
      summary: draft.summary,
      details: Object.freeze({ ...draft.details }),
      facts: Object.freeze({ ...draft.facts }),
      warnings: Object.freeze(draft.warnings.map((w) => Object.freeze({ ...w }))),
      answer: input.answer,
      choices: draft.choices
        ? Object.freeze({
            accounts: Object.freeze([...draft.choices.accounts]),
            defaults: Object.freeze([...draft.choices.defaults]),
          })
        : undefined,
      createdAt: created,
      expiresAt: created + timeoutMs,
    })
  }

  return {
    /** Names of the in-process approvers, plus `cli` when outside decisions are accepted. */
    get approverNames(): string[] {
      return [...approvers.map((a) => a.name), ...(external ? ['cli'] : [])]
    },
    /** Whether anybody could decide a request at all (readiness). */
    get canDecide(): boolean {
      return !closed && (approvers.length > 0 || external)
    },
    /** Requests waiting for a decision, oldest first. */
    pending(): ApprovalRequest[] {
      return [...pending.values()].map((p) => p.request)
    },
    get(id: string): ApprovalRequest | undefined {
      return pending.get(id)?.request
    },
    /**
     * Throws the -32002 a request of this kind would get now (the origin already has one pending),
     * so the rate limiter can refuse a flood of them before charging anything.
     */
    assertCanQueue(origin: string, kind: ApprovalKind): void {
      if (interactive.length === 0 && !external) return
      if (slots.has(`${slotOf(kind)}\n${origin}`)) throw alreadyPending(origin, kind)
    },
    subscribe(fn: (event: BrokerEvent) => void): () => void {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },

    /**
     * Asks for a decision. Resolves with the frozen request and the verdict; throws a
     * ResourceUnavailableError (-32002) when the origin already has a request of this kind pending,
     * or too many requests are pending — refused before anybody is asked.
     */
    async request(
      input: ApprovalInput,
      signal: AbortSignal,
    ): Promise<{ request: ApprovalRequest; decided: Decided }> {
      const request = freeze(input)
      const { origin } = request
      if (closed) return { request, decided: record(request, refuse('shutdown')) }
      if (request.warnings.some((w) => w.level === 'critical'))
        return { request, decided: record(request, refuse('blocked')) }
      const cooling = rejections.get(origin)
      if (cooling && cooling.until > 0) {
        // A clock that jumped backwards cannot stretch a cooldown past its length from now.
        cooling.until = Math.min(cooling.until, now() + cooldownMs)
        if (now() < cooling.until) return { request, decided: record(request, refuse('cooldown')) }
        rejections.delete(origin)
      }
      if (approvers.length === 0 && !external)
        return { request, decided: record(request, refuse('no-approver')) }
      if (signal.aborted) return { request, decided: record(request, refuse('cancelled')) }

      // Instant approvers (a policy) first, outside the queue: a CI job's concurrent requests are
      // decided at once, not refused as "already pending".
      let errored = false
      for (const approver of instant) {
        const answer = await askInstant(approver, request, signal)
        if (answer === 'error') {
          errored = true
          continue
        }
        if (answer === undefined) continue
        const decided =
          answer instanceof Error
            ? ({
                approved: false,
                reason: answer.message as DecisionReason,
                by: 'walletd',
                asked: true,
              } as Decided)
            : unlessExpired(request, validate(request, answer, approver.name))
        emit({ type: 'settled', request, decided })
        return { request, decided: record(request, decided) }
      }
      if (signal.aborted) return { request, decided: record(request, refuse('cancelled')) }
      if (interactive.length === 0 && !external)
        return { request, decided: record(request, refuse(errored ? 'error' : 'no-approver')) }

      const slot = `${slotOf(request.kind)}\n${origin}`
      if (slots.has(slot)) throw alreadyPending(origin, request.kind)
      if (pending.size >= maxPending) {
        throw new ResourceUnavailableError({
          message: 'Too many approval requests are pending. Please wait.',
          data: { kind: slotOf(request.kind) },
        })
      }
      slots.add(slot)

      const decided = await new Promise<Decided>((resolve) => {
        const controllers = interactive.map(() => new AbortController())
        let done = false
        let abstained = 0
        const finish = (d: Decided) => {
          if (done) return
          done = true
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
          pending.delete(request.id)
          slots.delete(slot)
          // A deadline, a closed connection or shutdown is passed on; any other decision withdraws the rest.
          const why = (d as { reason?: string }).reason
          const reason = why === 'timeout' || why === 'cancelled' || why === 'shutdown' ? why : 'withdrawn'
          for (const c of controllers) c.abort(new Error(reason))
          resolve(d)
        }
        const timer = setTimeout(
          () => finish({ approved: false, reason: 'timeout', by: 'walletd', asked: true }),
          timeoutMs,
        )
        timer.unref?.()
        const onAbort = () => finish({ approved: false, reason: 'cancelled', by: 'walletd', asked: true })
        signal.addEventListener('abort', onAbort, { once: true })
        pending.set(request.id, { request, finish })

        const abstain = () => {
          abstained++
          if (abstained === interactive.length && !external)
            finish({
              approved: false,
              reason: errored ? 'error' : 'no-approver',
              by: 'walletd',
              asked: false,
            })
        }
        interactive.forEach((approver, i) => {
          let answer: Promise<ApprovalDecision | undefined>
          try {
            answer = Promise.resolve(approver.decide(request, controllers[i]!.signal))
          } catch {
            answer = Promise.reject(new Error('approver threw'))
          }
          answer.then(
            (decision) => {
              if (done) return
              if (decision === undefined || decision === null) abstain()
              else finish(unlessExpired(request, validate(request, decision, approver.name)))
            },
            () => {
              if (done) return
              errored = true
              abstain()
            },
          )
        })
        emit({ type: 'added', request })
      })
      emit({ type: 'settled', request, decided })
      return { request, decided: record(request, decided) }
    },

    /**
     * A decision from outside (`walletd approve ID` / `reject ID`), validated like any other.
     * Unknown or already decided ids are refused.
     */
    decide(id: string, decision: ApprovalDecision, by = 'cli'): ExternalDecisionResult {
      const entry = pending.get(id)
      if (!entry || !external) return { ok: false, error: 'unknown-request' }
      const valid = validate(entry.request, decision, by)
      if (!valid.approved && valid.reason === 'invalid-decision' && decision.approved)
        return { ok: false, error: 'invalid-decision' }
      const decided = unlessExpired(entry.request, valid)
      entry.finish(decided)
      return { ok: true, decided }
    },

    /** Rejects every pending request (reason `shutdown`) and every later one. */
    close(): void {
      closed = true
      for (const entry of [...pending.values()])
        entry.finish({ approved: false, reason: 'shutdown', by: 'walletd', asked: true })
      for (const a of approvers) a.close?.()
    },
  }
}

const alreadyPending = (origin: string, kind: ApprovalKind) =>
  new ResourceUnavailableError({
    message: `Request of type '${slotOf(kind)}' already pending for origin ${origin}. Please wait.`,
    data: { kind: slotOf(kind) },
  })

/**
 * Only an explicit, well-formed approval approves. A connect approval's accounts must be a
 * non-empty subset of the accounts offered (compared case-insensitively, given back checksummed as
 * offered); without a choice, the request's defaults apply.
 */
export function validate(request: ApprovalRequest, decision: unknown, by: string): Decided {
  const d = decision as Partial<ApprovalDecision> | null
  const rule = typeof d?.rule === 'string' ? d.rule.slice(0, 128) : undefined
  if (d?.approved === true) {
    if (!request.choices) return { approved: true, by, asked: true, ...(rule ? { rule } : {}) }
    const offered = request.choices.accounts
    const wanted = (d as { accounts?: unknown }).accounts
    if (wanted === undefined) {
      if (request.choices.defaults.length === 0)
        return { approved: false, reason: 'invalid-decision', by, asked: true }
      return {
        approved: true,
        accounts: request.choices.defaults,
        by,
        asked: true,
        ...(rule ? { rule } : {}),
      }
    }
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.length > offered.length)
      return { approved: false, reason: 'invalid-decision', by, asked: true }
    const chosen: Address[] = []
    for (const w of wanted) {
      const match =
        typeof w === 'string' ? offered.find((a) => a.toLowerCase() === w.toLowerCase()) : undefined
      if (!match) return { approved: false, reason: 'invalid-decision', by, asked: true }
      if (!chosen.includes(match)) chosen.push(match)
    }
    return { approved: true, accounts: chosen, by, asked: true, ...(rule ? { rule } : {}) }
  }
  if (d?.approved === false) {
    const reason = DECISION_REASONS.includes(d.reason as DecisionReason)
      ? (d.reason as DecisionReason)
      : 'rejected'
    const note =
      typeof (d as { note?: unknown }).note === 'string' ? (d as { note: string }).note.slice(0, 200) : ''
    return { approved: false, reason, by, asked: true, ...(rule ? { rule } : {}), ...(note ? { note } : {}) }
  }
  return { approved: false, reason: 'invalid-decision', by, asked: true }
}
