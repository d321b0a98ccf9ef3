import { expect, test } from 'vitest'
import { ResourceUnavailableError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { approvalKindOf, createApprovalQueue } from './createApprovalQueue.js'
import { createApprovalService } from './createApprovalService.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from './types.js'

/** An approver whose answers the test gives by hand, one per request, in order. */
function manualApprover() {
  const waiting: Array<{ request: ApprovalRequest; answer: (d: ApprovalDecision) => void }> = []
  const approver: Approver = {
    name: 'manual',
    decide: (request, signal) =>
      new Promise((resolve) => {
        waiting.push({ request, answer: resolve })
        signal.addEventListener('abort', () => resolve({ approved: false, reason: 'aborted' }), {
          once: true,
        })
      }),
  }
  return { approver, waiting }
}

let n = 0
const request = (origin: string, method: string): ApprovalRequest =>
  Object.freeze({
    id: `r${++n}`,
    origin,
    method,
    chainId: 1,
    summary: 's',
    details: {},
    warnings: [],
    createdAt: 0,
    expiresAt: 1,
  })
const signal = () => new AbortController().signal
const rejected = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )

test('kinds: connect, switch, sign (messages, typed data, transactions); anything else is its own kind', () => {
  expect(approvalKindOf('eth_requestAccounts')).toBe('connect')
  expect(approvalKindOf('wallet_requestPermissions')).toBe('connect')
  expect(approvalKindOf('wallet_switchEthereumChain')).toBe('switch')
  for (const m of ['personal_sign', 'eth_signTypedData_v4', 'eth_signTypedData_v3', 'eth_sendTransaction'])
    expect(approvalKindOf(m)).toBe('sign')
  expect(approvalKindOf('wallet_somethingNew')).toBe('wallet_somethingNew')
  expect(approvalKindOf('__proto__')).toBe('__proto__')
})

test('one pending request per origin and kind: the second gets -32002 at once; other kinds and origins still ask', async () => {
  const m = manualApprover()
  const q = createApprovalQueue({ approver: m.approver })
  const first = q.decide(request('https://a.example', 'personal_sign'), signal())
  const err = await rejected(q.decide(request('https://a.example', 'eth_sendTransaction'), signal()))
  expect(err).toBeInstanceOf(ResourceUnavailableError)
  expect(toJsonRpcError(err)).toEqual({
    code: -32002,
    message: "Request of type 'sign' already pending for origin https://a.example. Please wait.",
    data: { kind: 'sign' },
  })
  const connect = q.decide(request('https://a.example', 'eth_requestAccounts'), signal())
  const other = q.decide(request('https://b.example', 'personal_sign'), signal())
  expect(m.waiting).toHaveLength(3)
  expect(q.pending).toBe(3)
  for (const w of m.waiting) w.answer({ approved: true })
  expect(await first).toEqual({ approved: true })
  expect(await connect).toEqual({ approved: true })
  expect(await other).toEqual({ approved: true })
  // Decided: the slot is free again.
  const again = q.decide(request('https://a.example', 'personal_sign'), signal())
  m.waiting[3]!.answer({ approved: false, reason: 'rejected' })
  expect(await again).toEqual({ approved: false, reason: 'rejected' })
})

test('through the approval service, -32002 reaches the caller; the first request is unaffected', async () => {
  const m = manualApprover()
  const service = createApprovalService({
    approver: createApprovalQueue({ approver: m.approver }),
    timeoutMs: 10_000,
  })
  const draft = { summary: 's', details: {}, warnings: [] }
  const input = { origin: 'https://a.example', method: 'eth_requestAccounts', chainId: 1, draft }
  const first = service.request(input, signal())
  await Promise.resolve()
  const err = await rejected(service.request({ ...input, method: 'wallet_requestPermissions' }, signal()))
  expect(toJsonRpcError(err).code).toBe(-32002)
  m.waiting[0]!.answer({ approved: true })
  expect((await first).decision).toEqual({ approved: true })
})

test('a slot is freed when the request aborts, even if the inner approver never answers', async () => {
  const hang: Approver = { name: 'hang', decide: () => new Promise(() => {}) }
  const q = createApprovalQueue({ approver: hang })
  const c = new AbortController()
  void q.decide(request('https://a.example', 'personal_sign'), c.signal)
  expect(q.pending).toBe(1)
  c.abort(new Error('timeout'))
  expect(q.pending).toBe(0)
  void q.decide(request('https://a.example', 'personal_sign'), signal())
  expect(q.pending).toBe(1)
})

test('a global cap on pending requests: beyond it, -32002', async () => {
  const m = manualApprover()
  const q = createApprovalQueue({ approver: m.approver, maxPending: 2 })
  void q.decide(request('https://a.example', 'personal_sign'), signal())
  void q.decide(request('https://b.example', 'personal_sign'), signal())
  const err = await rejected(q.decide(request('https://c.example', 'personal_sign'), signal()))
  expect(toJsonRpcError(err)).toMatchObject({
    code: -32002,
    message: 'Too many approval requests are pending. Please wait.',
  })
  m.waiting[0]!.answer({ approved: false, reason: 'rejected' })
  await Promise.resolve()
  await Promise.resolve()
  void q.decide(request('https://c.example', 'personal_sign'), signal())
  expect(m.waiting).toHaveLength(3)
})

test('cooldown: after 3 consecutive rejections an origin is rejected without asking for 30 s', async () => {
  let t = 1_000_000
  const m = manualApprover()
  const cooled: Array<[string, number]> = []
  const q = createApprovalQueue({
    approver: m.approver,
    now: () => t,
    onCooldown: (origin, until) => cooled.push([origin, until]),
  })
  const ask = async (origin: string, answer?: ApprovalDecision) => {
    const p = q.decide(request(origin, 'personal_sign'), signal())
    await Promise.resolve()
    if (answer) m.waiting.at(-1)!.answer(answer)
    return p
  }
  const no = { approved: false, reason: 'rejected' } as const
  expect(await ask('https://a.example', no)).toEqual(no)
  expect(await ask('https://a.example', no)).toEqual(no)
  // An approval resets the count.
  expect(await ask('https://a.example', { approved: true })).toEqual({ approved: true })
  // Timeouts and cancellations neither count nor reset.
  expect(await ask('https://a.example', no)).toEqual(no)
  expect(await ask('https://a.example', { approved: false, reason: 'timeout' })).toMatchObject({
    reason: 'timeout',
  })
  expect(await ask('https://a.example', no)).toEqual(no)
  expect(cooled).toEqual([])
  expect(await ask('https://a.example', no)).toEqual(no)
  expect(cooled).toEqual([['https://a.example', t + 30_000]])

  const asked = m.waiting.length
  expect(await ask('https://a.example')).toEqual({ approved: false, reason: 'cooldown' })
  t += 29_999
  expect(await ask('https://a.example')).toEqual({ approved: false, reason: 'cooldown' })
  expect(m.waiting).toHaveLength(asked)
  // Another origin is not affected.
  expect(await ask('https://b.example', { approved: true })).toEqual({ approved: true })
  t += 1
  expect(await ask('https://a.example', { approved: true })).toEqual({ approved: true })
  expect(m.waiting).toHaveLength(asked + 2)
})

test('nothing but an explicit approval approves; an approver error propagates as a rejection, not an approval', async () => {
  const garbage = createApprovalQueue({
    approver: { name: 'g', decide: async () => ({ approved: 'yes' }) as never },
  })
  expect(await garbage.decide(request('https://a.example', 'personal_sign'), signal())).toEqual({
    approved: false,
    reason: 'invalid-decision',
  })
  const thrower = createApprovalQueue({
    approver: {
      name: 't',
      decide: async () => {
        throw new Error('boom')
      },
    },
  })
  const service = createApprovalService({ approver: thrower, timeoutMs: 1000 })
  const draft = { summary: 's', details: {}, warnings: [] }
  const { decision } = await service.request(
    { origin: 'https://a.example', method: 'personal_sign', chainId: 1, draft },
    signal(),
  )
  expect(decision).toEqual({ approved: false, reason: 'error' })
  expect(thrower.pending).toBe(0)
})
