import { expect, test } from 'vitest'
import { ResourceUnavailableError } from '../errors/rpc.js'
import { createApprovalService } from './createApprovalService.js'
import type { Approver } from './types.js'

const draft = { summary: 'Sign', details: { a: 1 }, warnings: [] }
const input = { origin: 'https://a.example', method: 'personal_sign', chainId: 1, draft }
const signal = () => new AbortController().signal

test('no approver: refused (fail closed)', async () => {
  const s = createApprovalService({ approver: null, timeoutMs: 1000 })
  expect((await s.request(input, signal())).decision).toEqual({ approved: false, reason: 'no-approver' })
})

test('explicit approval approves; the request is immutable', async () => {
  const s = createApprovalService({
    approver: { name: 't', decide: async () => ({ approved: true }) },
    timeoutMs: 1000,
  })
  const { request, decision } = await s.request(input, signal())
  expect(decision).toEqual({ approved: true })
  expect(Object.isFrozen(request)).toBe(true)
  expect(Object.isFrozen(request.details)).toBe(true)
})

test('critical warnings reject without asking', async () => {
  let asked = false
  const decide = async () => {
    asked = true
    return { approved: true as const }
  }
  const s = createApprovalService({ approver: { name: 't', decide }, timeoutMs: 1000 })
  const { decision } = await s.request(
    { ...input, draft: { ...draft, warnings: [{ level: 'critical', message: 'x' }] } },
    signal(),
  )
  expect(decision).toEqual({ approved: false, reason: 'blocked' })
  expect(asked).toBe(false)
})

test('timeout rejects', async () => {
  const hang: Approver = { name: 'h', decide: () => new Promise(() => {}) }
  const s = createApprovalService({ approver: hang, timeoutMs: 20 })
  expect((await s.request(input, signal())).decision).toEqual({ approved: false, reason: 'timeout' })
})

test('a cancelled request (connection closed) rejects', async () => {
  const hang: Approver = { name: 'h', decide: () => new Promise(() => {}) }
  const s = createApprovalService({ approver: hang, timeoutMs: 10_000 })
  const c = new AbortController()
  const p = s.request(input, c.signal)
  c.abort()
  expect((await p).decision).toEqual({ approved: false, reason: 'cancelled' })
})

test('an approver that throws or answers garbage never approves', async () => {
  const thrower = createApprovalService({
    approver: {
      name: 'x',
      decide: async () => {
        throw new Error('boom')
      },
    },
    timeoutMs: 1000,
  })
  expect((await thrower.request(input, signal())).decision.approved).toBe(false)
  const garbage = createApprovalService({
    approver: { name: 'g', decide: async () => ({ approved: 'yes' }) as never },
    timeoutMs: 1000,
  })
  expect((await garbage.request(input, signal())).decision.approved).toBe(false)
  const truthy = createApprovalService({
    approver: { name: 'g', decide: async () => ({ approved: 1 }) as never },
    timeoutMs: 1000,
  })
  expect((await truthy.request(input, signal())).decision.approved).toBe(false)
})

test('a typed RpcError from the approver reaches the caller (e.g. -32002); it never approves', async () => {
  const busy: Approver = {
    name: 'b',
    decide: async () => {
      throw new ResourceUnavailableError({ message: 'busy' })
    },
  }
  const s = createApprovalService({ approver: busy, timeoutMs: 1000 })
  const err = await s.request(input, signal()).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ResourceUnavailableError)
  expect((err as InstanceType<typeof ResourceUnavailableError>).code).toBe(-32002)
})
