import type { AuditEvent } from '../../audit/types.js'
import { RpcError } from '../../errors/rpc.js'
import type { Services } from '../services.js'
import type { ResolvedContext, Step } from '../types.js'

/**
 * For approved signing requests (approval kinds `message`, `typedData`, `transaction`): one audit
 * record of what came out — the signature, or the transaction hash — or of the failure after
 * approval (its code only). Keys, passphrases and tokens never reach it.
 */
export function createAuditResultStep({ audit }: Pick<Services, 'audit'>): Step {
  return {
    name: 'auditResult',
    plan(method) {
      const kind = method.approval?.kind
      if (kind !== 'message' && kind !== 'typedData' && kind !== 'transaction') return null
      return { around: (ctx, next) => auditResult(ctx, next, kind) }
    },
  }
  async function auditResult(
    ctx: ResolvedContext,
    next: () => Promise<unknown>,
    kind: 'message' | 'typedData' | 'transaction',
  ): Promise<unknown> {
    let result: unknown
    try {
      result = await next()
    } catch (err) {
      if (ctx.approval?.decided.approved)
        audit.record({ ...base(ctx, kind), error: err instanceof RpcError ? err.code : 'internal' })
      throw err
    }
    if (ctx.approval?.decided.approved && typeof result === 'string')
      audit.record({
        ...base(ctx, kind),
        ...(kind === 'transaction' ? { txHash: result } : { signature: result }),
      })
    return result
  }
}

function base(ctx: ResolvedContext, kind: 'message' | 'typedData' | 'transaction'): AuditEvent {
  const request = ctx.approval!.request
  const facts = request.facts
  return {
    type: kind === 'transaction' ? 'transaction' : 'signature',
    approvalId: request.id,
    origin: ctx.conn.origin,
    method: ctx.method.method,
    chainId: facts.chainId,
    account: 'account' in facts ? facts.account : null,
    ...(facts.kind === 'transaction'
      ? { to: facts.to, value: facts.value.toString(10), selector: facts.selector }
      : {}),
  }
}
