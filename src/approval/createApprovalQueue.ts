import { ResourceUnavailableError } from '../errors/rpc.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from './types.js'

export type ApprovalKind = 'connect' | 'switch' | 'sign'

export type ApprovalQueueOptions = {
  approver: Approver
  now?: () => number
  /** Requests pending (queued or shown) across all origins; more get -32002. Default 16. */
  maxPending?: number
  /** Consecutive rejections by the person that start a cooldown. Default 3. */
  cooldownAfter?: number
  /** While cooling down, an origin's requests are rejected without asking (reason `cooldown`). Default 30 s. */
  cooldownMs?: number
  /** Told when an origin starts cooling down (e.g. a line on the terminal). */
  onCooldown?: (origin: string, untilMs: number) => void
}

export type ApprovalQueue = Approver & {
  /** Requests handed to the inner approver and not yet decided. */
  readonly pending: number
}

const KINDS: Readonly<Record<string, ApprovalKind>> = {
  eth_requestAccounts: 'connect',
  wallet_requestPermissions: 'connect',
  wallet_switchEthereumChain: 'switch',
  wallet_addEthereumChain: 'switch',
  personal_sign: 'sign',
  eth_signTypedData_v4: 'sign',
  eth_signTypedData_v3: 'sign',
  eth_sendTransaction: 'sign',
}

/**
 * The kind of prompt a method produces: connect, switch, or sign (messages, typed data and
 * transactions). Any other method is its own kind.
 */
export function approvalKindOf(method: string): string {
  return Object.hasOwn(KINDS, method) ? KINDS[method]! : method
}

/**
 * Wraps an approver with MetaMask's queueing rules, so a page cannot flood the person with prompts:
 * - one pending request per origin and kind: a second one from the same origin while the first is
 *   queued or shown is refused at once with -32002 `Request of type 'sign' already pending for
 *   origin https://app.example. Please wait.` (thrown as a ResourceUnavailableError, which the
 *   approval service passes on instead of turning it into a 4001);
 * - at most `maxPending` requests in all (-32002 beyond);
 * - after `cooldownAfter` consecutive rejections by the person, the origin's requests are
 *   rejected without asking for `cooldownMs` (4001, reason `cooldown`). An approval resets the
 *   count; timeouts and cancellations neither count nor reset.
 * Nothing here can approve: only the inner approver's explicit approval is passed on.
 */
export function createApprovalQueue({
  approver,
  now = Date.now,
  maxPending = 16,
  cooldownAfter = 3,
  cooldownMs = 30_000,
  onCooldown,
}: ApprovalQueueOptions): ApprovalQueue {
  const pending = new Set<string>()
  const rejections = new Map<string, { count: number; until: number }>()

  return {
    name: approver.name,
    get pending() {
      return pending.size
    },
    async decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
      const { origin } = request
      const record = rejections.get(origin)
      if (record && record.until > 0) {
        if (now() < record.until) return { approved: false, reason: 'cooldown' }
        rejections.delete(origin)
      }
      const kind = approvalKindOf(request.method)
      const key = `${kind}\n${origin}`
      if (pending.has(key)) {
        throw new ResourceUnavailableError({
          message: `Request of type '${kind}' already pending for origin ${origin}. Please wait.`,
          data: { kind },
        })
      }
      if (pending.size >= maxPending) {
        throw new ResourceUnavailableError({
          message: 'Too many approval requests are pending. Please wait.',
          data: { kind },
        })
      }
      pending.add(key)
      // The slot is freed when the inner approver answers or the request is aborted, whichever
      // comes first, so an approver that never settles cannot block an origin for good.
      let freed = false
      const free = () => {
        if (freed) return
        freed = true
        pending.delete(key)
        signal.removeEventListener('abort', free)
      }
      signal.addEventListener('abort', free, { once: true })
      let decision: ApprovalDecision
      try {
        decision = await approver.decide(request, signal)
      } finally {
        free()
      }
      if (decision?.approved === true) {
        rejections.delete(origin)
        return { approved: true }
      }
      const reason = decision?.approved === false ? decision.reason : 'invalid-decision'
      if (reason === 'rejected') {
        const r = rejections.get(origin) ?? { count: 0, until: 0 }
        r.count += 1
        if (r.count >= cooldownAfter) {
          r.count = 0
          r.until = now() + cooldownMs
          onCooldown?.(origin, r.until)
        }
        rejections.set(origin, r)
      }
      return { approved: false, reason }
    },
  }
}
