import { randomBytes } from 'node:crypto'
import { approvalRequestToJson, decidedToJson } from '../../approval/approvalRequestJson.js'
import { MethodNotSupportedError } from '../../errors/rpc.js'
import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'

/**
 * Admin: the approval queue as it changes (`walletd prompts`). Returns `{ subscription, pending }`
 * (the requests waiting now), then pushes `walletd_prompt` notifications on this connection:
 * `{ subscription, result: { type: 'added', request } }` and
 * `{ subscription, result: { type: 'settled', id, decided } }`. A push may arrive before the
 * answer; a request settled meanwhile is not in `pending`. Ends when the connection closes.
 */
export const walletdSubscribePrompts = defineMethod({
  method: 'walletd_subscribePrompts',
  params: zNoParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ ctx, services }) => {
    const { conn } = ctx
    const notify = conn.notify
    if (!notify) throw new MethodNotSupportedError({ message: 'This transport cannot push notifications.' })
    const subscription = `0x${randomBytes(16).toString('hex')}`
    const off = services.approvals.subscribe((event) => {
      const result =
        event.type === 'added'
          ? { type: 'added', request: approvalRequestToJson(event.request) }
          : { type: 'settled', id: event.request.id, decided: decidedToJson(event.decided) }
      notify({ jsonrpc: '2.0', method: 'walletd_prompt', params: { subscription, result } })
    })
    conn.onClose(off)
    return { subscription, pending: services.approvals.pending().map(approvalRequestToJson) }
  },
})
