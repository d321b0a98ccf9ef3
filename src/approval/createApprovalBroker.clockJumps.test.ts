import { describe, expect, test } from 'vitest'
import { type ApprovalInput, createApprovalBroker } from './createApprovalBroker.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from './types.js'

const A1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const HOUR = 3_600_000

/** An approver answered by hand; it records how its prompts ended. */
function manualApprover() {
  const waiting: Array<{ request: ApprovalRequest; answer: (d: ApprovalDecision) => void }> = []
  const approver: Approver = {
    name: 'manual',
    decide: (request, signal) =>
      new Promise((resolve) => {
        waiting.push({ request, answer: resolve })
        signal.addEventListener('abort', () => resolve({ approved: false, reason: 'cancelled' }), {
          once: true,
        })
      }),
  }
  return { approver, waiting }
}

const input = (origin: string): ApprovalInput => ({
  origin,
  method: 'personal_sign',
  kind: 'message',
  answer: 'yes',
  chainId: 1,
  draft: {
    summary: 'Sign',
    details: {},
    facts: { kind: 'message', chainId: 1, account: A1, bytes: '0x68', text: 'h', siwe: null },
    warnings: [],
    prepared: undefined,
  },
})

const settle = () => new Promise((r) => setImmediate(r))
const signal = () => new AbortController().signal

describe('approval broker under clock jumps: a forward jump expires, a backward jump extends nothing, timeouts never approve', () => {
  test('forward jump past expiresAt: a late approval by a person is a timeout', async () => {
    let t = 1_000_000
    const m = manualApprover()
    const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 60_000, now: () => t })
    const p = b.request(input('https://a.example'), signal())
    await settle()
    t += 2 * HOUR
    m.waiting[0]!.answer({ approved: true })
    expect((await p).decided).toEqual({ approved: false, reason: 'timeout', by: 'walletd', asked: true })
  })

  test('forward jump past expiresAt: an outside (CLI) approval is a timeout too; in time it approves', async () => {
    let t = 0
    const b = createApprovalBroker({ approvers: [], external: true, timeoutMs: 60_000, now: () => t })
    const late = b.request(input('https://a.example'), signal())
    await settle()
    t += 60_000 // exactly at expiresAt: expired
    expect(b.decide(b.pending()[0]!.id, { approved: true })).toMatchObject({
      ok: true,
      decided: { approved: false, reason: 'timeout' },
    })
    expect((await late).decided).toMatchObject({ approved: false, reason: 'timeout' })
    const inTime = b.request(input('https://a.example'), signal())
    await settle()
    t += 59_999
    b.decide(b.pending()[0]!.id, { approved: true })
    expect((await inTime).decided).toMatchObject({ approved: true })
  })

  test('a policy (instant approver) evaluated across a forward jump cannot approve late', async () => {
    let t = 0
    const policy: Approver = {
      name: 'policy',
      instant: true,
      decide: async () => {
        t += 3 * HOUR // the clock steps while the rule is evaluated
        return { approved: true, rule: 'r' }
      },
    }
    const b = createApprovalBroker({ approvers: [policy], timeoutMs: 60_000, now: () => t })
    expect((await b.request(input('https://a.example'), signal())).decided).toMatchObject({
      approved: false,
      reason: 'timeout',
    })
  })

  test('backward jump: expiresAt moves away, but the timer still ends the request (rejected)', async () => {
    let t = 10 * HOUR
    const m = manualApprover()
    const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 50, now: () => t })
    const p = b.request(input('https://a.example'), signal())
    await settle()
    t -= 5 * HOUR
    t = -t // and below zero
    const { request, decided } = await p
    expect(decided).toEqual({ approved: false, reason: 'timeout', by: 'walletd', asked: true })
    expect(request.expiresAt).toBe(10 * HOUR + 50)
    expect(b.pending()).toEqual([])
  })

  test('backward jump during a cooldown: it lasts at most cooldownMs from now, not hours more', async () => {
    let t = 5 * HOUR
    const b = createApprovalBroker({
      approvers: [{ name: 'p', decide: async () => ({ approved: false, reason: 'rejected' }) }],
      timeoutMs: 1000,
      now: () => t,
      cooldownAfter: 1,
      cooldownMs: 30_000,
    })
    const ask = async () => (await b.request(input('https://a.example'), signal())).decided
    expect(await ask()).toMatchObject({ reason: 'rejected', asked: true })
    expect(await ask()).toMatchObject({ reason: 'cooldown', asked: false })
    t -= 4 * HOUR
    expect(await ask()).toMatchObject({ reason: 'cooldown', asked: false })
    t += 29_999
    expect(await ask()).toMatchObject({ reason: 'cooldown', asked: false })
    t += 1
    expect(await ask()).toMatchObject({ reason: 'rejected', asked: true })
  })
})
