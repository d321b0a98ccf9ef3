import { escapeTerminal } from '../escapeTerminal.js'
import { renderApprovalRequest } from '../renderApprovalRequest.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from '../types.js'
import { mayApproveByNotification } from './mayApproveByNotification.js'
import { type NotificationBackend, NotificationUnavailableError } from './types.js'

export type NotificationApproverOptions = {
  backend: NotificationBackend
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
  now?: () => number
  /** A body longer than this is cut, and such a request is never approved from the notification. */
  maxBodyChars?: number
}

/**
 * The OS-notification approver. Every request gets a notification with the one renderer's text
 * (origin, method, chain, summary, details, warnings, id). A low-risk request
 * (mayApproveByNotification) offers Approve and Reject; anything else offers only Reject and
 * points to `walletd prompts` / `walletd approve <id>`. Dismissing or letting it expire decides
 * nothing (the approver abstains: other approvers still can). When no notification service is
 * reachable it says so once in the log and abstains until one is.
 */
export function createNotificationApprover({
  backend,
  log,
  now = Date.now,
  maxBodyChars = 2000,
}: NotificationApproverOptions): Approver {
  let unavailable = false
  return {
    name: 'notification',
    async decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
      const text = bodyFor(request, now(), maxBodyChars)
      const approvable = text.fits && mayApproveByNotification(request)
      const label = request.kind === 'connect' ? 'Connect' : 'Sign'
      let key: string | null
      try {
        key = await backend.show(
          {
            summary: `walletd: ${escapeTerminal(request.summary)}`.slice(0, 120),
            body: approvable ? text.body : bodyFor(request, now(), maxBodyChars, false).body,
            actions: approvable
              ? [
                  { key: 'approve', label },
                  { key: 'reject', label: 'Reject' },
                ]
              : [{ key: 'reject', label: 'Reject' }],
            timeoutMs: Math.max(1000, request.expiresAt - now()),
          },
          signal,
        )
      } catch (err) {
        if (!(err instanceof NotificationUnavailableError)) throw err
        if (!unavailable)
          log.warn(
            { reason: err.message },
            'no notification service is reachable: approvals are not shown as notifications (walletd prompts / walletd approve still work)',
          )
        unavailable = true
        return undefined
      }
      if (unavailable) {
        unavailable = false
        log.info({ backend: backend.name }, 'notification service reachable again')
      }
      // Dismissed (null), or answered after the request was decided elsewhere: nothing to decide.
      if (signal.aborted) return undefined
      if (key === 'approve' && approvable) return { approved: true }
      if (key === 'reject') return { approved: false, reason: 'rejected' }
      return undefined
    },
    close() {
      backend.close()
    },
  }
}

function bodyFor(
  request: ApprovalRequest,
  now: number,
  max: number,
  approvable = true,
): { body: string; fits: boolean } {
  const instruction = approvable
    ? `Approve or Reject here, or in a terminal: walletd approve ${request.id} / walletd reject ${request.id}`
    : `Review it in a terminal: walletd prompts, or walletd approve ${request.id} / walletd reject ${request.id}`
  const rendered = renderApprovalRequest(request, { now, waiting: 0, instruction })
  const text = rendered.ok
    ? rendered.text.trim()
    : `request ${request.id} is too large to show: ${instruction}`
  if (text.length <= max) return { body: text, fits: rendered.ok }
  return { body: `${text.slice(0, max - instruction.length - 4)}…\n${instruction}`, fits: false }
}
