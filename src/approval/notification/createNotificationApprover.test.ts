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

describe('the notification approver: details', () => {
  test('the title is the summary (escaped, at most 120 characters); a message is signed with Sign', async () => {
    const { backend, shown } = fakeBackend('reject')
    const approver = createNotificationApprover({ backend, log: silent, now: () => 0 })
    expect(approver.name).toBe('notification')
    await approver.decide({ ...message('hi'), summary: `S\x1b${'y'.repeat(200)}` }, signal())
    expect(shown[0]!.summary).toBe(`walletd: S\\x1b${'y'.repeat(200)}`.slice(0, 120))
    expect(shown[0]!.summary).toHaveLength(120)
    expect(shown[0]!.actions).toEqual([
      { key: 'approve', label: 'Sign' },
      { key: 'reject', label: 'Reject' },
    ])
    const c = fakeBackend('reject')
    await createNotificationApprover({ backend: c.backend, log: silent, now: () => 0 }).decide(
      connect,
      signal(),
    )
    expect(c.shown[0]!.actions).toEqual([
      { key: 'approve', label: 'Connect' },
      { key: 'reject', label: 'Reject' },
    ])
  })

  test('it stays until the request expires, at least a second', async () => {
    let t = 0
    const { backend, shown } = fakeBackend(null)
    const approver = createNotificationApprover({ backend, log: silent, now: () => t })
    await approver.decide(connect, signal())
    t = 119_500
    await approver.decide(connect, signal())
    expect(shown.map((s) => s.timeoutMs)).toEqual([120_000, 1000])
    // The body says how long is left (the renderer's expiry line) at the time it is shown.
    expect(shown[0]!.body).toContain('expires in 120 s')
  })

  test('approvable bodies say where else to answer; the others point to the CLI', async () => {
    const a = fakeBackend(null)
    await createNotificationApprover({ backend: a.backend, log: silent, now: () => 0 }).decide(
      connect,
      signal(),
    )
    expect(a.shown[0]!.body).toMatch(
      /\n {2}Approve or Reject here, or in a terminal: walletd approve req-1 \/ walletd reject req-1$/,
    )
    expect(a.shown[0]!.body.startsWith('━━ walletd: approval request')).toBe(true)
    const b = fakeBackend(null)
    await createNotificationApprover({ backend: b.backend, log: silent, now: () => 0 }).decide(tx, signal())
    expect(b.shown[0]!.body).toMatch(
      /\n {2}Review it in a terminal: walletd prompts, or walletd approve req-1 \/ walletd reject req-1$/,
    )
  })

  test('a body at the limit is shown whole and stays approvable; one character more is cut and is not', async () => {
    const probe = fakeBackend(null)
    await createNotificationApprover({ backend: probe.backend, log: silent, now: () => 0 }).decide(
      message('hello'),
      signal(),
    )
    const full = probe.shown[0]!.body
    const at = fakeBackend('approve')
    expect(
      await createNotificationApprover({
        backend: at.backend,
        log: silent,
        now: () => 0,
        maxBodyChars: full.length,
      }).decide(message('hello'), signal()),
    ).toEqual({ approved: true })
    expect(at.shown[0]!.body).toBe(full)
    const over = fakeBackend('approve')
    expect(
      await createNotificationApprover({
        backend: over.backend,
        log: silent,
        now: () => 0,
        maxBodyChars: full.length - 1,
      }).decide(message('hello'), signal()),
    ).toBeUndefined()
    const cut = over.shown[0]!.body
    const instruction =
      'Review it in a terminal: walletd prompts, or walletd approve req-1 / walletd reject req-1'
    expect(cut.endsWith(`…\n${instruction}`)).toBe(true)
    expect(cut).toHaveLength(full.length - 1 - 2)
    expect(over.shown[0]!.actions).toEqual([{ key: 'reject', label: 'Reject' }])
  })

  test('a request too large to render: a short body with the instruction, never approvable', async () => {
    const { backend, shown } = fakeBackend('approve')
    const approver = createNotificationApprover({ backend, log: silent, now: () => 0 })
    const huge = { ...connect, details: { blob: 'x'.repeat(70_000) } }
    expect(await approver.decide(huge, signal())).toBeUndefined()
    expect(shown[0]!.body).toBe(
      'request req-1 is too large to show: Review it in a terminal: walletd prompts, or walletd approve req-1 / walletd reject req-1',
    )
    expect(shown[0]!.actions).toEqual([{ key: 'reject', label: 'Reject' }])
  })

  test('an answer after the request was withdrawn decides nothing; an unknown key decides nothing', async () => {
    const ac = new AbortController()
    const backend: NotificationBackend = {
      name: 'fake',
      show: async () => {
        ac.abort()
        return 'reject'
      },
      close() {},
    }
    expect(
      await createNotificationApprover({ backend, log: silent }).decide(connect, ac.signal),
    ).toBeUndefined()
    expect(
      await createNotificationApprover({ backend: fakeBackend('other').backend, log: silent }).decide(
        connect,
        signal(),
      ),
    ).toBeUndefined()
  })

  test('unavailable, then reachable again: said once each way; other errors are thrown', async () => {
    let answer: string | Error = new NotificationUnavailableError('no bus')
    const backend: NotificationBackend = {
      name: 'fake',
      show: async () => {
        if (answer instanceof Error) throw answer
        return answer
      },
      close() {},
    }
    const warned: unknown[] = []
    const info: unknown[] = []
    const approver = createNotificationApprover({
      backend,
      log: { warn: (o, m) => warned.push([o, m]), info: (o, m) => info.push([o, m]) },
    })
    expect(await approver.decide(connect, signal())).toBeUndefined()
    expect(warned).toEqual([
      [
        { reason: 'no bus' },
        'no notification service is reachable: approvals are not shown as notifications (walletd prompts / walletd approve still work)',
      ],
    ])
    answer = 'reject'
    expect(await approver.decide(connect, signal())).toEqual({ approved: false, reason: 'rejected' })
    expect(await approver.decide(connect, signal())).toEqual({ approved: false, reason: 'rejected' })
    expect(info).toEqual([[{ backend: 'fake' }, 'notification service reachable again']])
    answer = new NotificationUnavailableError('gone again')
    expect(await approver.decide(connect, signal())).toBeUndefined()
    expect(warned).toHaveLength(2)
    answer = new TypeError('a bug')
    await expect(approver.decide(connect, signal())).rejects.toThrow('a bug')
  })

  test('close closes the backend', () => {
    let closed = 0
    const backend: NotificationBackend = { name: 'fake', show: async () => null, close: () => void closed++ }
    createNotificationApprover({ backend, log: silent }).close?.()
    expect(closed).toBe(1)
  })
})

describe('what a notification may approve: connect needs a default account', () => {
  test('a connect request without choices or without defaults is not approvable', () => {
    expect(mayApproveByNotification({ ...connect, choices: undefined })).toBe(false)
    expect(mayApproveByNotification({ ...connect, choices: { accounts: [A], defaults: [] } })).toBe(false)
    expect(mayApproveByNotification({ ...connect, warnings: [{ level: 'warning', message: 'w' }] })).toBe(
      false,
    )
  })
})
