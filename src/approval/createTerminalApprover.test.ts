import { EventEmitter, getEventListeners } from 'node:events'
import { PassThrough, Writable } from 'node:stream'
import { expect, test, vi } from 'vitest'
import {
  createTerminalApprover,
  expectedAnswer,
  parseAnswer,
  type TerminalInput,
} from './createTerminalApprover.js'
import type { ApprovalDecision, ApprovalRequest } from './types.js'

/** A fake clock: `now` and timers move only when the test says so. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start
  let timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = []
  return {
    now: () => t,
    setTimer(fn: () => void, ms: number) {
      const timer = { at: t + ms, fn, cancelled: false }
      timers.push(timer)
      return () => {
        timer.cancelled = true
      }
    },
    advance(ms: number) {
      t += ms
      const due = timers.filter((x) => x.at <= t && !x.cancelled)
      timers = timers.filter((x) => x.at > t && !x.cancelled)
      for (const x of due) x.fn()
    },
  }
}

/** Lets stream events (nextTick/microtasks) run. */
const settle = () => new Promise((r) => setImmediate(r))

function setup(options: { inputDelayMs?: number; tty?: boolean; ready?: Promise<unknown> } = {}) {
  const clock = fakeClock()
  const input = new PassThrough() as PassThrough & TerminalInput
  const raw: boolean[] = []
  if (options.tty) {
    input.isTTY = true
    input.isRaw = false
    input.setRawMode = (mode: boolean) => {
      raw.push(mode)
      input.isRaw = mode
      return input
    }
  }
  let text = ''
  const output = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk)
      cb()
    },
  })
  const interrupts: number[] = []
  const approver = createTerminalApprover({
    input,
    output,
    now: clock.now,
    setTimer: clock.setTimer,
    inputDelayMs: options.inputDelayMs ?? 1000,
    ready: options.ready,
    onInterrupt: () => interrupts.push(1),
  })
  let n = 0
  const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest =>
    Object.freeze<ApprovalRequest>({
      id: `req-${++n}`,
      origin: 'https://app.example',
      method: 'personal_sign',
      kind: 'message',
      chainId: 31337,
      summary: `Sign message ${n}`,
      details: Object.freeze({ account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', text: 'hello' }),
      facts: {
        kind: 'message',
        chainId: 31337,
        account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        bytes: '0x68656c6c6f',
        text: 'hello',
        siwe: null,
      },
      answer: 'yes',
      warnings: [],
      createdAt: clock.now(),
      expiresAt: clock.now() + 120_000,
      ...over,
    })
  /** Starts a decision and tracks whether it settled. */
  const ask = (r: ApprovalRequest, signal = new AbortController().signal) => {
    const state: {
      decision: ApprovalDecision | undefined | null
      promise: Promise<ApprovalDecision | undefined>
    } = {
      decision: null,
      promise: approver.decide(r, signal),
    }
    state.promise.then((d) => {
      state.decision = d
    })
    return state
  }
  const type = async (s: string) => {
    input.write(s)
    await settle()
  }
  return { clock, input, output: () => text, approver, request, ask, type, raw, interrupts }
}

test('approves with `yes` typed after the input delay; shows origin, method, chain, summary, details, expiry', async () => {
  const t = setup()
  const r = t.request()
  const a = t.ask(r)
  await settle()
  const shown = t.output()
  for (const s of [
    'https://app.example',
    'personal_sign',
    '31337',
    'Sign message 1',
    'hello',
    r.id,
    'expires in 120 s',
    'Type yes to approve',
  ])
    expect(shown).toContain(s)
  expect(shown).not.toContain('answer ▸')
  t.clock.advance(1000)
  expect(t.output()).toContain('answer ▸')
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: true })
  expect(t.output()).toContain(`walletd: approved: personal_sign request ${r.id}`)
  expect(t.approver.pending).toBe(0)
})

test('type-ahead is flushed: `yes` typed before the prompt or during the delay is ignored; then Enter rejects', async () => {
  const t = setup()
  await t.type('yes\n') // before any prompt exists
  const a = t.ask(t.request())
  await settle()
  await t.type('yes\n') // during the input delay
  t.clock.advance(500)
  await t.type('yes\n')
  expect(a.decision).toBeNull()
  t.clock.advance(500)
  expect(t.output()).toMatch(/ignored \d+ characters typed before the prompt could be read/)
  expect(a.decision).toBeNull()
  await t.type('\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
})

test('input buffered while no prompt was shown is discarded when one appears (even with no delay)', async () => {
  const t = setup({ inputDelayMs: 0 })
  await t.type('yes\n')
  const a = t.ask(t.request())
  await settle()
  expect(a.decision).toBeNull()
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: true })
  // Between prompts the input is paused again; what is typed then is dropped at the next prompt.
  expect(t.input.isPaused()).toBe(true)
  await t.type('yes\n')
  const b = t.ask(t.request())
  await settle()
  expect(b.decision).toBeNull()
  await t.type('\n')
  expect(await b.promise).toEqual({ approved: false, reason: 'rejected' })
})

test('a line started during the delay does not count: "ye" early + "s" late is not `yes`', async () => {
  const t = setup()
  const a = t.ask(t.request())
  await settle()
  await t.type('ye')
  t.clock.advance(1000)
  await t.type('s\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
})

test('anything but `yes` rejects; the answer is trimmed and case-insensitive', async () => {
  for (const [answer, approved] of [
    ['y\n', false],
    ['yes please\n', false],
    ['no\n', false],
    ['  YES \n', true],
    [`${'y'.repeat(100)}`, false],
  ] as const) {
    const t = setup()
    const a = t.ask(t.request())
    await settle()
    t.clock.advance(1000)
    await t.type(answer)
    expect((await a.promise)?.approved, JSON.stringify(answer)).toBe(approved)
  }
})

test('end of input rejects the shown and queued requests, and every later one', async () => {
  const t = setup()
  const a = t.ask(t.request())
  const b = t.ask(t.request())
  await settle()
  t.input.end()
  await settle()
  expect(await a.promise).toEqual({ approved: false, reason: 'eof' })
  expect(await b.promise).toEqual({ approved: false, reason: 'eof' })
  expect(await t.approver.decide(t.request(), new AbortController().signal)).toEqual({
    approved: false,
    reason: 'eof',
  })
})

test('Ctrl-D rejects; Ctrl-C rejects and calls onInterrupt', async () => {
  const t = setup()
  const a = t.ask(t.request())
  await settle()
  t.clock.advance(1000)
  await t.type('ye\x04s\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'eof' })
  const b = t.ask(t.request())
  await settle()
  t.clock.advance(1000)
  await t.type('\x03')
  expect(await b.promise).toEqual({ approved: false, reason: 'interrupted' })
  expect(t.interrupts).toHaveLength(1)
})

test('one prompt at a time, FIFO; an abort while shown cancels it and shows the next; an abort while queued removes it', async () => {
  const t = setup()
  const first = new AbortController()
  const third = new AbortController()
  const r1 = t.request({ summary: 'FIRST' })
  const r2 = t.request({ summary: 'SECOND' })
  const r3 = t.request({ summary: 'THIRD' })
  const a = t.ask(r1, first.signal)
  const b = t.ask(r2)
  const c = t.ask(r3, third.signal)
  await settle()
  expect(t.output()).toContain('FIRST')
  expect(t.output()).not.toContain('SECOND')
  expect(t.approver.pending).toBe(3)

  t.clock.advance(400)
  first.abort(new Error('timeout'))
  expect(await a.promise).toEqual({ approved: false, reason: 'timeout' })
  expect(t.output()).toContain(`walletd: cancelled (timeout): personal_sign request ${r1.id}`)
  expect(t.output()).toContain('SECOND')
  expect(t.output()).toContain('1 more waiting')
  expect(t.output()).not.toContain('THIRD')

  third.abort(new Error('cancelled'))
  expect(await c.promise).toEqual({ approved: false, reason: 'cancelled' })
  expect(t.approver.pending).toBe(1)

  // The next prompt has its own input delay (a prompt that replaced another cannot be approved at once).
  await t.type('yes\n')
  t.clock.advance(999)
  await t.type('yes\n')
  expect(b.decision).toBeNull()
  t.clock.advance(1)
  await t.type('yes\n')
  expect(await b.promise).toEqual({ approved: true })
  expect(t.output()).not.toContain('THIRD')
  expect(t.approver.pending).toBe(0)
})

test('an already aborted signal is refused without a prompt', async () => {
  const t = setup()
  const c = new AbortController()
  c.abort(new Error('cancelled'))
  expect(await t.approver.decide(t.request(), c.signal)).toEqual({ approved: false, reason: 'cancelled' })
  expect(t.output()).toBe('')
})

test('hostile origin, summary, message, keys and warnings are escaped: no fake "Approved" line, no cursor moves', async () => {
  const t = setup()
  const r = t.request({
    origin: 'https://evil.example\x1b[2K\rApproved',
    summary: 'Sign \u202Emoc.elpmaxe\u202C for you\x1b[1A',
    details: {
      account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      text: 'line one\nwalletd: approved: personal_sign request x\r\x1b[2Kpay\u200Bpal\uFEFF\u2066x\u2069',
      '\x1b[31mkey': { 'nested\u200D': 'v\x9b2J' },
    },
    warnings: [{ level: 'warning', message: 'careful\x1b]0;pwned\x07' }],
  })
  const a = t.ask(r)
  await settle()
  const shown = t.output()
  // Nothing the terminal would act on, apart from line feeds.
  expect(shown.replaceAll('\n', '')).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u)
  expect(shown).toContain('https://evil.example\\x1b[2K\\rApproved')
  expect(shown).toContain('\\u202emoc.elpmaxe\\u202c')
  expect(shown).toContain('pay\\u200bpal\\ufeff\\u2066x\\u2069')
  expect(shown).toContain('\\x1b[31mkey')
  expect(shown).toContain('v\\x9b2J')
  expect(shown).toContain('WARNING   careful\\x1b]0;pwned\\x07')
  // The page's fake "walletd: approved" line is indented behind a gutter, never at column 0.
  const lines = shown.split('\n')
  expect(lines.some((l) => l.startsWith('walletd:') || l.startsWith('Approved'))).toBe(false)
  expect(lines.some((l) => /^\s+│ walletd: approved/.test(l))).toBe(true)
  t.clock.advance(1000)
  await t.type('\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
})

test('a transaction with the `recipient` answer rule: approving needs the last 4 hex characters of the recipient; calldata is shown as its length', async () => {
  const to = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
  const tx = (summary: string) =>
    setup().request({
      method: 'eth_sendTransaction',
      kind: 'transaction',
      answer: 'recipient',
      facts: {
        kind: 'transaction',
        chainId: 31337,
        account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        to,
        value: 10n ** 18n,
        data: `0xa9059cbb${'ab'.repeat(400)}`,
        selector: '0xa9059cbb',
        gas: 21000n,
        maxFeeWei: 0n,
      },
      summary,
      details: {
        from: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        to,
        value: '1 ETH (1000000000000000000 wei)',
        dataBytes: 404,
        selector: '0xa9059cbb',
        gas: '21000',
        nonce: 'next (currently 0; assigned when sent)',
      },
    })
  const t = setup()
  const a = t.ask(tx('Send'))
  await settle()
  expect(t.output()).toContain('type the last 4 characters of the recipient address')
  expect(t.output()).toContain(to)
  expect(t.output()).toContain('dataBytes 404')
  expect(t.output()).toContain('0xa9059cbb')
  expect(t.output()).not.toContain('abababab')
  t.clock.advance(1000)
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
  const b = t.ask(tx('Send again'))
  await settle()
  t.clock.advance(1000)
  await t.type('93bc\n')
  expect(await b.promise).toEqual({ approved: true })
})

test('in a TTY: raw mode only while a prompt is shown, typed characters echoed (escaped), Backspace edits', async () => {
  const t = setup({ tty: true })
  const a = t.ask(t.request())
  await settle()
  expect(t.raw).toEqual([true])
  t.clock.advance(1000)
  await t.type('yez\x7fs\x1b')
  expect(t.output().endsWith('answer ▸ yez\b \bs\\x1b')).toBe(true)
  await t.type('\x7f\r')
  expect(await a.promise).toEqual({ approved: true })
  expect(t.raw).toEqual([true, false])
  expect(t.input.isPaused()).toBe(true)
})

test('a critical warning is refused without a prompt (the service blocks it before; this is the second line)', async () => {
  const t = setup()
  const d = await t.approver.decide(
    t.request({ warnings: [{ level: 'critical', message: 'x' }] }),
    new AbortController().signal,
  )
  expect(d).toEqual({ approved: false, reason: 'blocked' })
  expect(t.output()).toBe('')
})

test('prompts wait for `ready` (a passphrase prompt owns stdin until then)', async () => {
  let open!: () => void
  const t = setup({ ready: new Promise<void>((r) => (open = r)) })
  const a = t.ask(t.request())
  await settle()
  expect(t.output()).toBe('')
  expect(t.approver.pending).toBe(1)
  open()
  await settle()
  expect(t.output()).toContain('Sign message 1')
  t.clock.advance(1000)
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: true })
})

test('a request too large to show is rejected, not shown in part', async () => {
  const t = setup()
  const d = await t.approver.decide(
    t.request({ details: { text: 'x'.repeat(70_000) } }),
    new AbortController().signal,
  )
  expect(d).toEqual({ approved: false, reason: 'too-large' })
  expect(t.output()).toContain('too large to show here: rejected')
  expect(t.output()).not.toContain('xxxxxxxx')
})

test('close() rejects what is shown and queued (shutdown) and stops reading', async () => {
  const t = setup()
  const a = t.ask(t.request())
  const b = t.ask(t.request())
  await settle()
  t.approver.close()
  expect(await a.promise).toEqual({ approved: false, reason: 'shutdown' })
  expect(await b.promise).toEqual({ approved: false, reason: 'shutdown' })
  expect(t.input.listenerCount('data')).toBe(0)
  expect(await t.approver.decide(t.request(), new AbortController().signal)).toEqual({
    approved: false,
    reason: 'shutdown',
  })
})

test('never throws: a broken output stream still gets a decision, and the default is reject', async () => {
  const clock = fakeClock()
  const input = new PassThrough()
  const output = {
    write() {
      throw new Error('EPIPE')
    },
  } as unknown as NodeJS.WritableStream
  const approver = createTerminalApprover({ input, output, now: clock.now, setTimer: clock.setTimer })
  const r: ApprovalRequest = {
    id: 'x',
    origin: 'https://a.example',
    method: 'personal_sign',
    kind: 'message',
    chainId: 1,
    summary: 's',
    details: {},
    facts: {
      kind: 'message',
      chainId: 1,
      account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      bytes: '0x',
      text: '',
      siwe: null,
    },
    answer: 'yes',
    warnings: [],
    createdAt: 0,
    expiresAt: 1,
  }
  const p = approver.decide(r, new AbortController().signal)
  await settle()
  clock.advance(1000)
  input.write('\n')
  expect(await p).toEqual({ approved: false, reason: 'rejected' })
})

const ALICE = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' as const
const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const
const CAROL = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as const

const txRequest = (over: Partial<Extract<ApprovalRequest['facts'], { kind: 'transaction' }>> = {}) =>
  ({
    id: 'tx-1',
    origin: 'https://app.example',
    method: 'eth_sendTransaction',
    kind: 'transaction',
    chainId: 1,
    summary: 'Send',
    details: {},
    facts: {
      kind: 'transaction',
      chainId: 1,
      account: ALICE,
      to: CAROL,
      value: 1n,
      data: '0x',
      selector: null,
      gas: 21_000n,
      maxFeeWei: 0n,
      ...over,
    },
    answer: 'recipient',
    warnings: [],
    createdAt: 0,
    expiresAt: 1,
  }) as ApprovalRequest

test('expectedAnswer: the last 4 hex characters of who receives, lowercase; yes otherwise', () => {
  expect(expectedAnswer(txRequest())).toBe('93bc')
  const decoded = {
    standard: 'erc20',
    name: 'transfer',
    counterparty: BOB,
    grantsApproval: false,
    unlimited: false,
  }
  expect(expectedAnswer(txRequest({ decoded }))).toBe('79c8')
  expect(expectedAnswer(txRequest({ decoded: { ...decoded, counterparty: undefined } }))).toBe('93bc')
  expect(expectedAnswer(txRequest({ to: null }))).toBe('yes')
  expect(expectedAnswer(txRequest({ to: '0x1234' as `0x${string}` }))).toBe('yes')
  expect(expectedAnswer(txRequest({ to: `${CAROL}00` as `0x${string}` }))).toBe('yes')
  expect(expectedAnswer(txRequest({ to: `x${CAROL}` as `0x${string}` }))).toBe('yes')
  expect(expectedAnswer({ ...txRequest(), answer: 'yes' })).toBe('yes')
  const msg = setup().request({ answer: 'recipient' })
  expect(expectedAnswer(msg)).toBe('yes')
})

test('parseAnswer: the expected answer (trimmed, any case); a connect request also takes account numbers', () => {
  const plain = setup().request()
  expect(parseAnswer(plain, 'yes', ' YeS ')).toEqual({ approved: true })
  expect(parseAnswer(plain, 'yes', 'y')).toEqual({ approved: false, reason: 'rejected' })
  expect(parseAnswer(plain, 'yes', '1')).toEqual({ approved: false, reason: 'rejected' })
  const connect = setup().request({
    method: 'eth_requestAccounts',
    kind: 'connect',
    facts: { kind: 'connect', chainId: 31337, accounts: [ALICE, BOB, CAROL] },
    choices: { accounts: [ALICE, BOB, CAROL], defaults: [ALICE] },
  })
  const ok = (line: string) => parseAnswer(connect, 'yes', line)
  expect(ok('yes')).toEqual({ approved: true })
  expect(ok('2')).toEqual({ approved: true, accounts: [BOB] })
  expect(ok(' 3,1 ')).toEqual({ approved: true, accounts: [CAROL, ALICE] })
  expect(ok('1 3')).toEqual({ approved: true, accounts: [ALICE, CAROL] })
  expect(ok('1, 2,,3')).toEqual({ approved: true, accounts: [ALICE, BOB, CAROL] })
  expect(ok('2,2')).toEqual({ approved: true, accounts: [BOB] })
  expect(ok('002')).toEqual({ approved: true, accounts: [BOB] })
  for (const line of ['0', '4', '1,4', '1,', ',1', '0002', '1;2', 'one', '1.5', '1 yes', ''])
    expect(ok(line), line).toEqual({ approved: false, reason: 'rejected' })
})

test('connect: the instruction names the choice; numbers connect those accounts', async () => {
  const t = setup()
  const r = t.request({
    method: 'eth_requestAccounts',
    kind: 'connect',
    facts: { kind: 'connect', chainId: 31337, accounts: [ALICE, BOB] },
    choices: { accounts: [ALICE, BOB], defaults: [ALICE] },
  })
  const a = t.ask(r)
  await settle()
  expect(t.output()).toContain(
    '  Type yes to connect the default account(s) marked *, or the numbers of the accounts to connect (e.g. 2 or 1,3). Enter, anything else or Ctrl-D rejects.\n',
  )
  t.clock.advance(1000)
  await t.type('2\n')
  expect(await a.promise).toEqual({ approved: true, accounts: [BOB] })
})

test('the instructions: yes; the recipient; the address a token call names', async () => {
  const t = setup()
  const a = t.ask(t.request())
  await settle()
  expect(t.output()).toContain('  Type yes to approve. Enter, anything else or Ctrl-D rejects.\n')
  t.approver.close()
  await a.promise
  const decoded = {
    standard: 'erc20',
    name: 'transfer',
    counterparty: BOB,
    grantsApproval: false,
    unlimited: false,
  }
  for (const [r, line] of [
    [
      txRequest(),
      'To send, type the last 4 characters of the recipient address (to). Enter, anything else or Ctrl-D rejects.',
    ],
    [
      txRequest({ decoded }),
      `To send, type the last 4 characters of the address the call names (transfer: ${BOB}). Enter, anything else or Ctrl-D rejects.`,
    ],
  ] as const) {
    const u = setup()
    const b = u.ask(r)
    await settle()
    expect(u.output()).toContain(`  ${line}\n`)
    u.clock.advance(1000)
    await u.type(`${expectedAnswer(r)}\n`)
    expect(await b.promise).toEqual({ approved: true })
  }
})

test('the lines walletd writes: the ignored count, the answer mark, and how each prompt ended', async () => {
  const t = setup()
  const r1 = t.request()
  const a = t.ask(r1)
  await settle()
  const before = t.output()
  expect(before.endsWith('Type yes to approve. Enter, anything else or Ctrl-D rejects.\n')).toBe(true)
  await t.type('abc')
  t.clock.advance(1000)
  expect(t.output().slice(before.length)).toBe(
    '  (ignored 3 characters typed before the prompt could be read)\nanswer ▸ ',
  )
  await t.type('\x03')
  expect(await a.promise).toEqual({ approved: false, reason: 'interrupted' })
  expect(t.output().endsWith(`answer ▸ \nwalletd: rejected (Ctrl-C): personal_sign request ${r1.id}\n`)).toBe(
    true,
  )
  const r2 = t.request()
  const b = t.ask(r2)
  await settle()
  t.clock.advance(1000)
  const mark = t.output()
  expect(mark.endsWith('answer ▸ ')).toBe(true)
  // No characters ignored: no line about them.
  expect(mark).not.toContain('(ignored 0')
  await t.type('\x04')
  expect(await b.promise).toEqual({ approved: false, reason: 'eof' })
  expect(t.output().slice(mark.length)).toBe(`\nwalletd: rejected (Ctrl-D): personal_sign request ${r2.id}\n`)
  // Ended before the answer mark (no input yet): the note starts the line at once.
  const r3 = t.request()
  const c = new AbortController()
  const d = t.ask(r3, c.signal)
  await settle()
  const shown = t.output()
  c.abort(new Error('withdrawn'))
  expect(await d.promise).toEqual({ approved: false, reason: 'withdrawn' })
  expect(t.output().slice(shown.length)).toBe(
    `walletd: withdrawn (decided elsewhere): personal_sign request ${r3.id}\n`,
  )
})

test('an abort whose reason is not a decision reason counts as cancelled', async () => {
  const t = setup()
  const c = new AbortController()
  const a = t.ask(t.request(), c.signal)
  await settle()
  c.abort('just because')
  expect(await a.promise).toEqual({ approved: false, reason: 'cancelled' })
  expect(t.output()).toContain('walletd: cancelled (cancelled): personal_sign request')
  const queued = new AbortController()
  const b = t.ask(t.request())
  const q = t.ask(t.request(), queued.signal)
  await settle()
  queued.abort(new Error('no such reason'))
  expect(await q.promise).toEqual({ approved: false, reason: 'cancelled' })
  expect(t.approver.pending).toBe(1)
  t.approver.close()
  expect(await b.promise).toEqual({ approved: false, reason: 'shutdown' })
})

test('an input error rejects what is shown and queued, and every later request', async () => {
  const t = setup()
  const r = t.request()
  const a = t.ask(r)
  const b = t.ask(t.request())
  await settle()
  t.input.emit('error', new Error('EIO'))
  expect(await a.promise).toEqual({ approved: false, reason: 'error' })
  expect(await b.promise).toEqual({ approved: false, reason: 'error' })
  expect(t.output()).toContain(`walletd: rejected (input error): personal_sign request ${r.id}\n`)
  expect(await t.approver.decide(t.request(), new AbortController().signal)).toEqual({
    approved: false,
    reason: 'error',
  })
  // End of input after the error changes nothing.
  t.input.emit('end')
  expect(t.approver.pending).toBe(0)
})

test('end of input notes the shown prompt as rejected (end of input)', async () => {
  const t = setup()
  const r = t.request()
  const a = t.ask(r)
  await settle()
  t.input.end()
  expect(await a.promise).toEqual({ approved: false, reason: 'eof' })
  expect(t.output()).toContain(`walletd: rejected (end of input): personal_sign request ${r.id}\n`)
})

test('an answer of 64 characters is still read; the 65th rejects at once', async () => {
  const t = setup()
  const a = t.ask(t.request())
  await settle()
  t.clock.advance(1000)
  await t.type('y'.repeat(64))
  expect(a.decision).toBeNull()
  await t.type('y')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
  expect(t.output()).toContain('walletd: rejected (answer too long): personal_sign request')
})

test('in a TTY: Backspace (DEL or BS) on an empty line echoes nothing; the raw mode before is restored', async () => {
  const t = setup({ tty: true })
  t.input.isRaw = true
  const a = t.ask(t.request())
  await settle()
  t.clock.advance(1000)
  await t.type('\x7f\by')
  expect(t.output().endsWith('answer ▸ y')).toBe(true)
  await t.type('x\bes\n')
  expect(await a.promise).toEqual({ approved: true })
  expect(t.output()).toContain('answer ▸ yx\b \bes\n')
  expect(t.raw).toEqual([true, true])
  // Without a TTY nothing typed is echoed.
  const u = setup()
  const b = u.ask(u.request())
  await settle()
  u.clock.advance(1000)
  await u.type('ye\x7f')
  expect(u.output().endsWith('answer ▸ ')).toBe(true)
  await u.type('es\n')
  expect(await b.promise).toEqual({ approved: true })
})

test('a malformed request is refused, never thrown', async () => {
  const t = setup()
  const bad = { ...t.request(), warnings: undefined } as unknown as ApprovalRequest
  expect(await t.approver.decide(bad, new AbortController().signal)).toEqual({
    approved: false,
    reason: 'error',
  })
})

test('the default timer: the answer mark after 1 s; answering cancels it', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  try {
    let t = 0
    const input = new PassThrough()
    let text = ''
    const output = new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk)
        cb()
      },
    })
    const approver = createTerminalApprover({ input, output, now: () => t })
    const p = approver.decide(setup().request(), new AbortController().signal)
    await settle()
    t = 999
    vi.advanceTimersByTime(999)
    expect(text).not.toContain('answer ▸')
    t = 1000
    vi.advanceTimersByTime(1)
    expect(text).toContain('answer ▸')
    input.write('yes\n')
    expect(await p).toEqual({ approved: true })
    // A second prompt answered before its mark: its timer is cancelled.
    const q = approver.decide(setup().request(), new AbortController().signal)
    await settle()
    expect(vi.getTimerCount()).toBe(1)
    approver.close()
    expect(await q).toEqual({ approved: false, reason: 'shutdown' })
    expect(vi.getTimerCount()).toBe(0)
  } finally {
    vi.useRealTimers()
  }
})

test('a timer that cannot be cancelled shows no answer mark for a prompt already ended', async () => {
  const fired: Array<() => void> = []
  const input = new PassThrough()
  let text = ''
  const output = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk)
      cb()
    },
  })
  let t = 0
  const approver = createTerminalApprover({
    input,
    output,
    now: () => t,
    setTimer: (fn) => {
      fired.push(fn)
      return () => {}
    },
  })
  const c = new AbortController()
  const p = approver.decide(setup().request(), c.signal)
  await settle()
  c.abort(new Error('timeout'))
  expect(await p).toEqual({ approved: false, reason: 'timeout' })
  for (const fn of fired) fn()
  expect(text).not.toContain('answer ▸')
  t = 5000
  expect(approver.pending).toBe(0)
})

test('a `ready` that fails still lets prompts through', async () => {
  const t = setup({ ready: Promise.reject(new Error('no passphrase')) })
  const a = t.ask(t.request())
  await settle()
  expect(t.output()).toContain('Sign message 1')
  t.clock.advance(1000)
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: true })
})

test('a request aborted while waiting for `ready` is cancelled; nothing is shown', async () => {
  const t = setup({ ready: new Promise(() => {}) })
  const c = new AbortController()
  const a = t.ask(t.request(), c.signal)
  await settle()
  c.abort(new Error('timeout'))
  expect(await a.promise).toEqual({ approved: false, reason: 'timeout' })
  expect(t.approver.pending).toBe(0)
  expect(t.output()).toBe('')
})

test('the answer mark is written once, however the answer arrives; a rejected answer is noted', async () => {
  const t = setup()
  const r = t.request()
  const a = t.ask(r)
  await settle()
  t.clock.advance(1000)
  for (const ch of 'no') await t.type(ch)
  await t.type('\n')
  expect(await a.promise).toEqual({ approved: false, reason: 'rejected' })
  expect(t.output().split('answer ▸').length).toBe(2)
  expect(t.output()).toContain(`walletd: rejected: personal_sign request ${r.id}\n`)
})

test('consecutive prompts read each keystroke once (one reader), in raw mode throughout', async () => {
  const t = setup({ tty: true })
  const a = t.ask(t.request())
  const b = t.ask(t.request())
  await settle()
  t.clock.advance(1000)
  for (const ch of 'yes\r') await t.type(ch)
  expect(await a.promise).toEqual({ approved: true })
  await settle()
  t.clock.advance(1000)
  for (const ch of 'yes\r') await t.type(ch)
  expect(await b.promise).toEqual({ approved: true })
  expect(t.raw).toEqual([true, false])
  expect(t.input.listenerCount('data')).toBe(0)
})

test('Ctrl-C: an onInterrupt that throws changes nothing; the next prompt still works', async () => {
  const input = new PassThrough()
  const clock = fakeClock()
  const approver = createTerminalApprover({
    input,
    output: new PassThrough(),
    now: clock.now,
    setTimer: clock.setTimer,
    onInterrupt: () => {
      throw new Error('exit failed')
    },
  })
  const a = approver.decide(setup().request(), new AbortController().signal)
  await settle()
  clock.advance(1000)
  input.write('\x03')
  expect(await a).toEqual({ approved: false, reason: 'interrupted' })
  const b = approver.decide(setup().request(), new AbortController().signal)
  await settle()
  clock.advance(1000)
  input.write('yes\n')
  expect(await b).toEqual({ approved: true })
})

test('an input error then end of input: still the error; close removes its stream listeners', async () => {
  const t = setup()
  const ends = t.input.listenerCount('end')
  const errors = t.input.listenerCount('error')
  t.input.emit('error', new Error('EIO'))
  t.input.emit('end')
  expect(await t.approver.decide(t.request(), new AbortController().signal)).toEqual({
    approved: false,
    reason: 'error',
  })
  const u = setup()
  const before = [u.input.listenerCount('end'), u.input.listenerCount('error')]
  u.approver.close()
  u.approver.close()
  expect([u.input.listenerCount('end'), u.input.listenerCount('error')]).toEqual([
    before[0]! - 1,
    before[1]! - 1,
  ])
  expect([ends, errors]).toEqual(before)
})

test('close while a prompt is shown notes it as rejected (shutdown)', async () => {
  const t = setup()
  const r = t.request()
  const a = t.ask(r)
  await settle()
  t.approver.close()
  expect(await a.promise).toEqual({ approved: false, reason: 'shutdown' })
  expect(t.output()).toContain(`walletd: rejected (shutdown): personal_sign request ${r.id}\n`)
})

test('an input that is no TTY is never put in raw mode, even if it could be; one without read() still works', async () => {
  const raw: boolean[] = []
  const clock = fakeClock()
  const events = new PassThrough()
  const input = Object.assign(events, {
    isTTY: false,
    setRawMode: (m: boolean) => raw.push(m),
  }) as unknown as TerminalInput
  const approver = createTerminalApprover({
    input,
    output: new PassThrough(),
    now: clock.now,
    setTimer: clock.setTimer,
  })
  const a = approver.decide(setup().request(), new AbortController().signal)
  await settle()
  clock.advance(1000)
  events.write('yes\n')
  expect(await a).toEqual({ approved: true })
  expect(raw).toEqual([])
  // A bare event emitter: no read(), no raw mode.
  const bare = Object.assign(new EventEmitter(), { pause: () => bare, resume: () => bare })
  const other = createTerminalApprover({
    input: bare as unknown as TerminalInput,
    output: new PassThrough(),
    now: clock.now,
    setTimer: clock.setTimer,
  })
  const b = other.decide(setup().request(), new AbortController().signal)
  await settle()
  clock.advance(1000)
  bare.emit('data', 'yes\n')
  expect(await b).toEqual({ approved: true })
})

test('what was buffered before a prompt is drained, at most 1024 reads', async () => {
  const clock = fakeClock()
  let reads = 0
  // An input that always has more buffered (a bare emitter: no stream internals read it).
  const input = Object.assign(new EventEmitter(), {
    pause: () => input,
    resume: () => input,
    read: () => {
      reads++
      return 'x'
    },
  }) as unknown as TerminalInput
  const approver = createTerminalApprover({
    input,
    output: new PassThrough(),
    now: clock.now,
    setTimer: clock.setTimer,
  })
  const a = approver.decide(setup().request(), new AbortController().signal)
  await settle()
  expect(reads).toBe(1024)
  approver.close()
  expect(await a).toEqual({ approved: false, reason: 'shutdown' })
})

test('a decided request leaves no abort listener on its signal', async () => {
  const t = setup()
  const connection = new AbortController().signal
  const a = t.ask(t.request(), connection)
  await settle()
  t.clock.advance(1000)
  await t.type('yes\n')
  expect(await a.promise).toEqual({ approved: true })
  expect(getEventListeners(connection, 'abort')).toHaveLength(0)
})

test('named terminal; a TTY without raw mode still works; account numbers past 9 are read whole', async () => {
  const t = setup()
  expect(t.approver.name).toBe('terminal')
  const clock = fakeClock()
  const events = new PassThrough()
  const tty = Object.assign(events, { isTTY: true }) as unknown as TerminalInput
  const approver = createTerminalApprover({
    input: tty,
    output: new PassThrough(),
    now: clock.now,
    setTimer: clock.setTimer,
  })
  const a = approver.decide(setup().request(), new AbortController().signal)
  await settle()
  clock.advance(1000)
  events.write('yes\n')
  expect(await a).toEqual({ approved: true })
  const accounts = Array.from(
    { length: 12 },
    (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}` as `0x${string}`,
  )
  const connect = t.request({
    kind: 'connect',
    facts: { kind: 'connect', chainId: 31337, accounts },
    choices: { accounts, defaults: [accounts[0]!] },
  })
  expect(parseAnswer(connect, 'yes', '1,12')).toEqual({
    approved: true,
    accounts: [accounts[0], accounts[11]],
  })
  expect(parseAnswer(connect, 'yes', '10 11')).toEqual({
    approved: true,
    accounts: [accounts[9], accounts[10]],
  })
})
