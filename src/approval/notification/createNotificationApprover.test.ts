import { describe, expect, test } from 'vitest'
import type { ApprovalRequest } from '../types.js'
import { createMacosBackend } from './createMacosBackend.js'
import { createNotificationApprover } from './createNotificationApprover.js'
import { mayApproveByNotification } from './mayApproveByNotification.js'
import type { NotificationBackend, NotificationSpec } from './types.js'
import { NotificationUnavailableError } from './types.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const base = {
  id: 'req-1',
  origin: 'https://app.example',
  chainId: 31337,
  details: {},
  warnings: [],
  answer: 'yes',
  createdAt: 0,
  expiresAt: 120_000,
} as const
const connect: ApprovalRequest = {
  ...base,
  method: 'eth_requestAccounts',
  kind: 'connect',
  summary: 'Connect this site to your account(s)',
  facts: { kind: 'connect', chainId: 31337, accounts: [A] },
  choices: { accounts: [A], defaults: [A] },
}
const message = (text: string | null, warnings: ApprovalRequest['warnings'] = []): ApprovalRequest => ({
  ...base,
  method: 'personal_sign',
  kind: 'message',
  summary: 'Sign a message',
  warnings,
  facts: { kind: 'message', chainId: 31337, account: A, bytes: '0x00', text, siwe: null },
})
const tx: ApprovalRequest = {
  ...base,
  method: 'eth_sendTransaction',
  kind: 'transaction',
  answer: 'recipient',
  summary: 'Send 1 ETH to 0x3C44…93BC',
  facts: {
    kind: 'transaction',
    chainId: 31337,
    account: A,
    to: A,
    value: 1n,
    data: '0x',
    selector: null,
    gas: 21000n,
    maxFeeWei: 1n,
  },
}

function fakeBackend(answer: string | null | Error) {
  const shown: NotificationSpec[] = []
  const backend: NotificationBackend = {
    name: 'fake',
    show: async (spec) => {
      shown.push(spec)
      if (answer instanceof Error) throw answer
      return answer
    },
    close() {},
  }
  return { backend, shown }
}
const silent = { warn: () => {}, info: () => {} }
const signal = () => new AbortController().signal

describe('what a notification may approve', () => {
  test('connect and plain text without warnings; never transactions, typed data or anything with a warning', () => {
    expect(mayApproveByNotification(connect)).toBe(true)
    expect(mayApproveByNotification(message('hello'))).toBe(true)
    expect(mayApproveByNotification(message(null))).toBe(false)
    expect(mayApproveByNotification(message('hi', [{ level: 'warning', message: 'SIWE expired' }]))).toBe(
      false,
    )
    expect(mayApproveByNotification(tx)).toBe(false)
  })
})

describe('the notification approver', () => {
  test('approvable: Approve and Reject, the renderer text; approve approves', async () => {
    const { backend, shown } = fakeBackend('approve')
    const approver = createNotificationApprover({ backend, log: silent, now: () => 0 })
    expect(await approver.decide(connect, signal())).toEqual({ approved: true })
    expect(shown[0]!.actions.map((a) => a.key)).toEqual(['approve', 'reject'])
    expect(shown[0]!.body).toContain('origin    https://app.example')
    expect(shown[0]!.body).toContain('walletd approve req-1')
  })

  test('a transaction: only Reject, and the body points to the CLI; an "approve" key is ignored', async () => {
    const { backend, shown } = fakeBackend('approve')
    const approver = createNotificationApprover({ backend, log: silent, now: () => 0 })
    expect(await approver.decide(tx, signal())).toBeUndefined()
    expect(shown[0]!.actions.map((a) => a.key)).toEqual(['reject'])
    expect(shown[0]!.body).toContain('walletd prompts, or walletd approve req-1')
  })

  test('a long text is cut and then never approvable', async () => {
    const { backend, shown } = fakeBackend('approve')
    const approver = createNotificationApprover({ backend, log: silent, now: () => 0, maxBodyChars: 300 })
    expect(await approver.decide(message('x'.repeat(1000)), signal())).toBeUndefined()
    expect(shown[0]!.body.length).toBeLessThanOrEqual(300)
  })

  test('dismissed: abstains; reject: rejects; unavailable: abstains and says so once', async () => {
    expect(
      await createNotificationApprover({ backend: fakeBackend(null).backend, log: silent }).decide(
        connect,
        signal(),
      ),
    ).toBeUndefined()
    expect(
      await createNotificationApprover({ backend: fakeBackend('reject').backend, log: silent }).decide(
        tx,
        signal(),
      ),
    ).toEqual({
      approved: false,
      reason: 'rejected',
    })
    const warned: string[] = []
    const approver = createNotificationApprover({
      backend: fakeBackend(new NotificationUnavailableError('no bus')).backend,
      log: { warn: (_o, m) => warned.push(m), info: () => {} },
    })
    expect(await approver.decide(connect, signal())).toBeUndefined()
    expect(await approver.decide(connect, signal())).toBeUndefined()
    expect(warned).toHaveLength(1)
  })
})

describe('the macOS backend (osascript; run here with a fake)', () => {
  test('passes the text as arguments, never inside the script; maps the buttons', async () => {
    const calls: string[][] = []
    const backend = createMacosBackend({
      execFile: (_file, args, _opts, cb) => {
        calls.push([...args])
        cb(null, 'Connect\n')
      },
    })
    const key = await backend.show(
      {
        summary: 'walletd: "quoted" end tell',
        body: 'body',
        actions: [
          { key: 'approve', label: 'Connect' },
          { key: 'reject', label: 'Reject' },
        ],
        timeoutMs: 60_000,
      },
      signal(),
    )
    expect(key).toBe('approve')
    expect(calls[0]![0]).toBe('-e')
    expect(calls[0]![1]).not.toContain('quoted')
    expect(calls[0]!.slice(2)).toEqual(['walletd: "quoted" end tell', 'body', 'Connect', '60'])
  })
})
