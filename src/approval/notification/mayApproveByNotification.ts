import type { ApprovalRequest } from '../types.js'

/**
 * What a notification may approve by itself: low-risk requests without any warning — a connect
 * request (approving connects the default accounts shown), or a plain-text message (valid UTF-8;
 * a Sign-In with Ethereum text only when its checks found nothing). Transactions, typed data
 * (permits!), chain changes and anything with a warning need a terminal: `walletd prompts` or
 * `walletd approve <id>`.
 */
export function mayApproveByNotification(request: ApprovalRequest): boolean {
  if (request.warnings.length > 0) return false
  const { facts } = request
  if (facts.kind === 'connect') return request.choices !== undefined && request.choices.defaults.length > 0
  if (facts.kind === 'message') return facts.text !== null
  return false
}
