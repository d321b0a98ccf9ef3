import { getEventListeners } from 'node:events'
import { describe, expect, test } from 'vitest'
import { ResourceUnavailableError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import {
  type ApprovalInput,
  type BrokerEvent,
  createApprovalBroker,
  validate,
} from './createApprovalBroker.js'
import type { ApprovalDecision, ApprovalKind, ApprovalRequest, Approver } from './types.js'

const A1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const A2 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

/** An approver whose answers the test gives by hand; it records how its prompts ended. */
function manualApprover(name = 'manual') {
  const waiting: Array<{
    request: ApprovalRequest
    answer: (d: ApprovalDecision | undefined) => void
    ended: string | null
  }> = []
  const approver: Approver = {
    name,
    decide: (request, signal) =>
      new Promise((resolve) => {
        const entry = { request, answer: resolve, ended: null as string | null }
        waiting.push(entry)
        signal.addEventListener(
          'abort',
          () => {
            entry.ended = (signal.reason as Error).message
            resolve({ approved: false, reason: 'cancelled' })
          },
          { once: true },
        )
      }),
  }
  return { approver, waiting }
}

const settle = () => new Promise((r) => setImmediate(r))

function input(
  origin: string,
  kind: ApprovalKind = 'message',
  over: Partial<ApprovalInput> = {},
): ApprovalInput {
  return {
    origin,
    method: kind === 'connect' ? 'eth_requestAccounts' : 'personal_sign',
    kind,
    answer: 'yes',
    chainId: 1,
    draft: {
      summary: 'Sign',
      details: { a: 1 },
      facts:
        kind === 'connect'
          ? { kind: 'connect', chainId: 1, accounts: [A1, A2] }
          : { kind: 'message', chainId: 1, account: A1, bytes: '0x68', text: 'h', siwe: null },
      warnings: [],
      prepared: undefined,
      ...(kind === 'connect' ? { choices: { accounts: [A1, A2], defaults: [A1] } } : {}),
    },
    ...over,
  }
}

const signal = () => new AbortController().signal
const approveAll: Approver = { name: 'yes', decide: async () => ({ approved: true }) }

test('no approver: refused at once (fail closed), nobody asked', async () => {
  const b = createApprovalBroker({ approvers: [], timeoutMs: 1000 })
  const { decided } = await b.request(input('https://a.example'), signal())
  expect(decided).toEqual({ approved: false, reason: 'no-approver', by: 'walletd', asked: false })
  expect(b.canDecide).toBe(false)
})

test('explicit approval approves; the request is frozen with its id, kind, facts and expiry', async () => {
  const b = createApprovalBroker({
    approvers: [approveAll],
    timeoutMs: 1000,
    now: () => 5,
    newId: () => 'id1',
  })
  const { request, decided } = await b.request(input('https://a.example'), signal())
  expect(decided).toEqual({ approved: true, by: 'yes', asked: true })
  expect(request).toMatchObject({ id: 'id1', kind: 'message', createdAt: 5, expiresAt: 1005 })
  expect(Object.isFrozen(request)).toBe(true)
  expect(Object.isFrozen(request.details)).toBe(true)
  expect(Object.isFrozen(request.facts)).toBe(true)
})

test('critical warnings are refused without asking', async () => {
  let asked = false
  const b = createApprovalBroker({
    approvers: [
      {
        name: 't',
        decide: async () => {
          asked = true
          return { approved: true }
        },
      },
    ],
    timeoutMs: 1000,
  })
  const i = input('https://a.example')
  i.draft.warnings = [{ level: 'critical', message: 'x' }]
  expect((await b.request(i, signal())).decided).toMatchObject({
    approved: false,
    reason: 'blocked',
    asked: false,
  })
  expect(asked).toBe(false)
})

test('a timeout rejects and withdraws the prompt; a closed connection cancels it', async () => {
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 20 })
  expect((await b.request(input('https://a.example'), signal())).decided).toMatchObject({
    approved: false,
    reason: 'timeout',
  })
  expect(m.waiting[0]!.ended).toBe('timeout')
  const c = new AbortController()
  const p = b.request(input('https://b.example'), c.signal)
  await settle()
  c.abort()
  expect((await p).decided).toMatchObject({ approved: false, reason: 'cancelled' })
  expect(m.waiting[1]!.ended).toBe('cancelled')
  expect(b.pending()).toEqual([])
})

test('an approver that throws or answers garbage never approves', async () => {
  const thrower = createApprovalBroker({
    approvers: [
      {
        name: 'x',
        decide: async () => {
          throw new Error('boom')
        },
      },
    ],
    timeoutMs: 1000,
  })
  expect((await thrower.request(input('https://a.example'), signal())).decided).toMatchObject({
    approved: false,
    reason: 'error',
  })
  for (const garbage of [{ approved: 'yes' }, { ok: true }, 1, 'approved', { approved: 1 }]) {
    const b = createApprovalBroker({
      approvers: [{ name: 'g', decide: async () => garbage as never }],
      timeoutMs: 1000,
    })
    const { decided } = await b.request(input('https://a.example'), signal())
    expect(decided.approved, JSON.stringify(garbage)).toBe(false)
  }
})

test('one pending request per origin and kind: the second gets -32002 at once; other kinds and origins still ask', async () => {
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 10_000 })
  const first = b.request(input('https://a.example', 'message'), signal())
  await settle()
  // messages, typed data and transactions share the `sign` slot.
  const err = await b.request(input('https://a.example', 'transaction'), signal()).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ResourceUnavailableError)
  expect(toJsonRpcError(err)).toEqual({
    code: -32002,
    message: "Request of type 'sign' already pending for origin https://a.example. Please wait.",
    data: { kind: 'sign' },
  })
  const connect = b.request(input('https://a.example', 'connect'), signal())
  const other = b.request(input('https://b.example', 'message'), signal())
  await settle()
  expect(m.waiting.map((w) => `${w.request.origin} ${w.request.kind}`)).toEqual([
    'https://a.example message',
    'https://a.example connect',
    'https://b.example message',
  ])
  expect(b.pending().map((r) => r.id)).toEqual(m.waiting.map((w) => w.request.id))
  for (const w of m.waiting) w.answer({ approved: true })
  await Promise.all([first, connect, other])
  // The slot is free again.
  const again = b.request(input('https://a.example', 'message'), signal())
  await settle()
  m.waiting[3]!.answer({ approved: false, reason: 'rejected' })
  expect((await again).decided).toMatchObject({ approved: false, reason: 'rejected', by: 'manual' })
})

test('at most maxPending requests in all', async () => {
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 10_000, maxPending: 2 })
  void b.request(input('https://a.example'), signal())
  void b.request(input('https://b.example'), signal())
  await settle()
  const err = await b.request(input('https://c.example'), signal()).catch((e: unknown) => e)
  expect(toJsonRpcError(err)).toMatchObject({
    code: -32002,
    message: 'Too many approval requests are pending. Please wait.',
  })
  b.close()
})

test('after cooldownAfter rejections in a row by a person, the origin is refused without asking until cooldownMs passed', async () => {
  let t = 0
  const cooled: string[] = []
  const answers: ApprovalDecision[] = []
  const b = createApprovalBroker({
    approvers: [
      { name: 'p', decide: async () => answers.shift() ?? { approved: false, reason: 'rejected' } },
    ],
    timeoutMs: 1000,
    now: () => t,
    cooldownAfter: 3,
    cooldownMs: 30_000,
    onCooldown: (origin) => cooled.push(origin),
  })
  const ask = async (origin = 'https://a.example') => (await b.request(input(origin), signal())).decided
  answers.push({ approved: false, reason: 'rejected' }, { approved: true })
  expect(await ask()).toMatchObject({ approved: false })
  expect(await ask()).toMatchObject({ approved: true }) // an approval resets the count
  for (let i = 0; i < 3; i++) expect(await ask()).toMatchObject({ reason: 'rejected' })
  expect(cooled).toEqual(['https://a.example'])
  expect(await ask()).toEqual({ approved: false, reason: 'cooldown', by: 'walletd', asked: false })
  expect(await ask('https://b.example')).toMatchObject({ reason: 'rejected' }) // other origins are not affected
  t = 30_000
  expect(await ask()).toMatchObject({ reason: 'rejected', asked: true })
})

test('two approvers race: the first decision wins and the other prompt is withdrawn', async () => {
  const terminal = manualApprover('terminal')
  const notification = manualApprover('notification')
  const events: string[] = []
  const b = createApprovalBroker({ approvers: [terminal.approver, notification.approver], timeoutMs: 10_000 })
  b.subscribe((e: BrokerEvent) => events.push(e.type))
  const p = b.request(input('https://a.example'), signal())
  await settle()
  expect(terminal.waiting).toHaveLength(1)
  expect(notification.waiting).toHaveLength(1)
  notification.waiting[0]!.answer({ approved: true })
  expect((await p).decided).toEqual({ approved: true, by: 'notification', asked: true })
  expect(terminal.waiting[0]!.ended).toBe('withdrawn')
  expect(events).toEqual(['added', 'settled'])
  // A late answer from the withdrawn prompt changes nothing.
  terminal.waiting[0]!.answer({ approved: false, reason: 'rejected' })
  expect(b.pending()).toEqual([])
})

test('an abstaining approver (a policy without a matching rule) leaves the decision to the others; all abstain → no-approver', async () => {
  const abstain: Approver = { name: 'policy', decide: async () => undefined }
  const m = manualApprover('terminal')
  const b = createApprovalBroker({ approvers: [abstain, m.approver], timeoutMs: 10_000 })
  const p = b.request(input('https://a.example'), signal())
  await settle()
  m.waiting[0]!.answer({ approved: true })
  expect((await p).decided).toMatchObject({ approved: true, by: 'terminal' })
  const alone = createApprovalBroker({ approvers: [abstain], timeoutMs: 10_000 })
  expect((await alone.request(input('https://a.example'), signal())).decided).toEqual({
    approved: false,
    reason: 'no-approver',
    by: 'walletd',
    asked: false,
  })
})

test('instant approvers (a policy) decide outside the queue: concurrent requests of one origin are not -32002', async () => {
  const policy: Approver = {
    name: 'policy',
    instant: true,
    decide: async () => ({ approved: true, rule: 'ci' }),
  }
  const b = createApprovalBroker({ approvers: [policy], timeoutMs: 10_000 })
  const all = await Promise.all(
    Array.from({ length: 20 }, () => b.request(input('https://a.example'), signal())),
  )
  expect(all.every((r) => r.decided.approved && r.decided.rule === 'ci' && r.decided.by === 'policy')).toBe(
    true,
  )
})

test('outside decisions by id (the CLI): pending lists the request; approve, reject, unknown ids', async () => {
  const b = createApprovalBroker({ approvers: [], external: true, timeoutMs: 10_000 })
  expect(b.canDecide).toBe(true)
  expect(b.approverNames).toEqual(['cli'])
  const p = b.request(input('https://a.example'), signal())
  await settle()
  const [pending] = b.pending()
  expect(pending?.origin).toBe('https://a.example')
  expect(b.decide('nope', { approved: true })).toEqual({ ok: false, error: 'unknown-request' })
  expect(b.decide(pending!.id, { approved: true })).toMatchObject({ ok: true })
  expect((await p).decided).toEqual({ approved: true, by: 'cli', asked: true })
  expect(b.decide(pending!.id, { approved: true })).toEqual({ ok: false, error: 'unknown-request' })
  const q = b.request(input('https://a.example'), signal())
  await settle()
  b.decide(b.pending()[0]!.id, { approved: false, reason: 'rejected' })
  expect((await q).decided).toMatchObject({ approved: false, reason: 'rejected', by: 'cli' })
})

test('connect: the approver chooses among the offered accounts; no choice → the defaults; anything else is invalid', async () => {
  const b = createApprovalBroker({ approvers: [], external: true, timeoutMs: 10_000 })
  const ask = async (decision: ApprovalDecision) => {
    const p = b.request(input('https://a.example', 'connect'), signal())
    await settle()
    const id = b.pending()[0]!.id
    const r = b.decide(id, decision)
    if (!r.ok) b.decide(id, { approved: false, reason: 'rejected' })
    return { r, decided: (await p).decided }
  }
  expect((await ask({ approved: true })).decided).toMatchObject({ approved: true, accounts: [A1] })
  expect(
    (await ask({ approved: true, accounts: [A2.toLowerCase() as `0x${string}`] })).decided,
  ).toMatchObject({
    approved: true,
    accounts: [A2],
  })
  for (const accounts of [
    [],
    ['0x0000000000000000000000000000000000000001'],
    [A1, A1, A2],
  ] as `0x${string}`[][]) {
    const { r, decided } = await ask({ approved: true, accounts })
    expect(r, JSON.stringify(accounts)).toEqual({ ok: false, error: 'invalid-decision' })
    expect(decided.approved).toBe(false)
  }
})

test('close: pending requests are rejected with shutdown, and so is every later one', async () => {
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 10_000 })
  const p = b.request(input('https://a.example'), signal())
  await settle()
  b.close()
  expect((await p).decided).toMatchObject({ approved: false, reason: 'shutdown' })
  expect((await b.request(input('https://a.example'), signal())).decided).toMatchObject({
    reason: 'shutdown',
  })
})

test('typed data and calls share the sign slot; other kinds have their own, named in the -32002', async () => {
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 10_000 })
  void b.request(input('https://a.example', 'message'), signal())
  void b.request(input('https://a.example', 'connect'), signal())
  await settle()
  for (const kind of ['typedData', 'calls'] as ApprovalKind[]) {
    const err = await b.request(input('https://a.example', kind), signal()).catch((e: unknown) => e)
    expect(toJsonRpcError(err), kind).toMatchObject({ code: -32002, data: { kind: 'sign' } })
  }
  const err = await b.request(input('https://a.example', 'connect'), signal()).catch((e: unknown) => e)
  expect(toJsonRpcError(err)).toEqual({
    code: -32002,
    message: "Request of type 'connect' already pending for origin https://a.example. Please wait.",
    data: { kind: 'connect' },
  })
  expect(() => b.assertCanQueue('https://a.example', 'typedData')).toThrow(ResourceUnavailableError)
  expect(() => b.assertCanQueue('https://b.example', 'typedData')).not.toThrow()
  b.close()
})

test('assertCanQueue never refuses when only instant approvers decide; maxPending names the slot', async () => {
  const policy: Approver = { name: 'policy', instant: true, decide: async () => ({ approved: true }) }
  const instantOnly = createApprovalBroker({ approvers: [policy], timeoutMs: 1000 })
  await instantOnly.request(input('https://a.example'), signal())
  expect(() => instantOnly.assertCanQueue('https://a.example', 'message')).not.toThrow()
  const external = createApprovalBroker({ approvers: [], external: true, timeoutMs: 10_000, maxPending: 1 })
  void external.request(input('https://a.example', 'connect'), signal())
  await settle()
  expect(() => external.assertCanQueue('https://a.example', 'connect')).toThrow(ResourceUnavailableError)
  const err = await external.request(input('https://b.example'), signal()).catch((e: unknown) => e)
  expect(toJsonRpcError(err)).toMatchObject({ data: { kind: 'sign' } })
  external.close()
})

test('an instant approver is asked once, outside the race; get, names and canDecide', async () => {
  let asked = 0
  const policy: Approver = {
    name: 'policy',
    instant: true,
    decide: async () => {
      asked++
      return null as never
    },
  }
  const m = manualApprover('terminal')
  const b = createApprovalBroker({ approvers: [policy, m.approver], external: true, timeoutMs: 10_000 })
  expect(b.approverNames).toEqual(['policy', 'terminal', 'cli'])
  const p = b.request(input('https://a.example'), signal())
  await settle()
  expect(asked).toBe(1)
  const id = b.pending()[0]!.id
  expect(b.get(id)?.origin).toBe('https://a.example')
  expect(b.get('nope')).toBeUndefined()
  m.waiting[0]!.answer({ approved: true })
  expect((await p).decided).toMatchObject({ approved: true, by: 'terminal' })
  expect(b.canDecide).toBe(true)
  b.close()
  expect(b.canDecide).toBe(false)
})

test('cooldown counts only rejections a person made: not policy rules, timeouts or refusals without asking', async () => {
  const answers: ApprovalDecision[] = [
    { approved: false, reason: 'rejected', rule: 'deny-all' },
    { approved: false, reason: 'timeout' },
  ]
  const cooled: [string, number][] = []
  const b = createApprovalBroker({
    approvers: [
      { name: 'p', decide: async () => answers.shift() ?? { approved: false, reason: 'rejected' } },
    ],
    timeoutMs: 1000,
    now: () => 100,
    cooldownAfter: 1,
    cooldownMs: 50,
    onCooldown: (origin, until) => cooled.push([origin, until]),
  })
  const ask = async () => (await b.request(input('https://a.example'), signal())).decided
  expect(await ask()).toMatchObject({ reason: 'rejected', rule: 'deny-all' })
  expect(await ask()).toMatchObject({ reason: 'timeout' })
  expect(cooled).toEqual([])
  expect(await ask()).toMatchObject({ reason: 'rejected', asked: true })
  expect(cooled).toEqual([['https://a.example', 150]])
  expect(await ask()).toMatchObject({ reason: 'cooldown', asked: false })
})

test('onDecision hears every verdict; a throwing listener or subscriber changes nothing; unsubscribe', async () => {
  const heard: string[] = []
  const b = createApprovalBroker({
    approvers: [approveAll],
    timeoutMs: 1000,
    onDecision: (request, decided) => {
      heard.push(`${request.origin} ${decided.approved}`)
      throw new Error('listener bug')
    },
  })
  const events: string[] = []
  b.subscribe(() => {
    throw new Error('subscriber bug')
  })
  const off = b.subscribe((e) => events.push(e.type))
  expect((await b.request(input('https://a.example'), signal())).decided.approved).toBe(true)
  off()
  await b.request(input('https://b.example'), signal())
  expect(heard).toEqual(['https://a.example true', 'https://b.example true'])
  expect(events).toEqual(['added', 'settled'])
})

test('an instant approver is bounded: cancelled with the connection, timed out, withdrawn after; a throw is an error', async () => {
  const ended: string[] = []
  const hanging: Approver = {
    name: 'slow-policy',
    instant: true,
    decide: (_request, s) =>
      new Promise(() => {
        s.addEventListener('abort', () => ended.push((s.reason as Error).message), { once: true })
      }),
  }
  const b = createApprovalBroker({ approvers: [hanging], timeoutMs: 30 })
  expect((await b.request(input('https://a.example'), signal())).decided).toEqual({
    approved: false,
    reason: 'timeout',
    by: 'walletd',
    asked: true,
  })
  const c = new AbortController()
  const p = b.request(input('https://b.example'), c.signal)
  await settle()
  c.abort()
  expect((await p).decided).toMatchObject({ approved: false, reason: 'cancelled', asked: true })
  expect(ended).toEqual(['timeout', 'cancelled'])

  const seen: string[] = []
  const quick: Approver = {
    name: 'policy',
    instant: true,
    decide: async (_request, s) => {
      s.addEventListener('abort', () => seen.push((s.reason as Error).message), { once: true })
      return { approved: true }
    },
  }
  await createApprovalBroker({ approvers: [quick], timeoutMs: 1000 }).request(
    input('https://a.example'),
    signal(),
  )
  expect(seen).toEqual(['withdrawn'])

  const throwing: Approver = {
    name: 'policy',
    instant: true,
    decide: async () => {
      throw new Error('bad policy')
    },
  }
  const t = createApprovalBroker({ approvers: [throwing], timeoutMs: 1000 })
  expect((await t.request(input('https://a.example'), signal())).decided).toEqual({
    approved: false,
    reason: 'error',
    by: 'walletd',
    asked: false,
  })
  // An error of the instant approver is reported when the interactive ones all abstain too.
  const abstain: Approver = { name: 'terminal', decide: async () => undefined }
  const both = createApprovalBroker({ approvers: [throwing, abstain], timeoutMs: 1000 })
  expect((await both.request(input('https://a.example'), signal())).decided).toMatchObject({
    reason: 'error',
  })
})

test('a request whose connection is already closed is cancelled without asking', async () => {
  const c = new AbortController()
  c.abort()
  const m = manualApprover()
  const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 1000 })
  expect((await b.request(input('https://a.example'), c.signal)).decided).toEqual({
    approved: false,
    reason: 'cancelled',
    by: 'walletd',
    asked: false,
  })
  // Also when it closes while an instant approver decides.
  const abstain: Approver = { name: 'policy', instant: true, decide: async () => undefined }
  const d = new AbortController()
  const withPolicy = createApprovalBroker({
    approvers: [
      {
        ...abstain,
        decide: async () => {
          d.abort()
          return undefined
        },
      },
      m.approver,
    ],
    timeoutMs: 1000,
  })
  expect((await withPolicy.request(input('https://a.example'), d.signal)).decided).toMatchObject({
    reason: 'cancelled',
  })
  expect(m.waiting).toHaveLength(0)
})

test('the other prompts learn why they ended: withdrawn after a rejection, shutdown on close', async () => {
  const one = manualApprover('one')
  const two = manualApprover('two')
  const b = createApprovalBroker({ approvers: [one.approver, two.approver], timeoutMs: 10_000 })
  const p = b.request(input('https://a.example'), signal())
  await settle()
  one.waiting[0]!.answer({ approved: false, reason: 'rejected' })
  expect((await p).decided).toMatchObject({ reason: 'rejected', by: 'one' })
  expect(two.waiting[0]!.ended).toBe('withdrawn')
  const q = b.request(input('https://a.example'), signal())
  await settle()
  b.close()
  expect((await q).decided).toEqual({ approved: false, reason: 'shutdown', by: 'walletd', asked: true })
  expect([one.waiting[1]!.ended, two.waiting[1]!.ended]).toEqual(['shutdown', 'shutdown'])
})

test('an approver that throws at once, or answers null, abstains; all abstaining with an error → error', async () => {
  const sync: Approver = {
    name: 'sync',
    decide: () => {
      throw new Error('boom')
    },
  }
  const nothing: Approver = { name: 'null', decide: async () => null as never }
  const b = createApprovalBroker({ approvers: [sync, nothing], timeoutMs: 1000 })
  expect((await b.request(input('https://a.example'), signal())).decided).toEqual({
    approved: false,
    reason: 'error',
    by: 'walletd',
    asked: false,
  })
})

test('outside decisions: only with external on; a malformed rejection is still a rejection', async () => {
  const m = manualApprover()
  const internal = createApprovalBroker({ approvers: [m.approver], timeoutMs: 10_000 })
  void internal.request(input('https://a.example'), signal())
  await settle()
  expect(internal.decide(internal.pending()[0]!.id, { approved: true })).toEqual({
    ok: false,
    error: 'unknown-request',
  })
  internal.close()
  const b = createApprovalBroker({ approvers: [], external: true, timeoutMs: 10_000 })
  const p = b.request(input('https://a.example'), signal())
  await settle()
  const r = b.decide(b.pending()[0]!.id, { approved: false, reason: 'bogus' as never })
  expect(r).toEqual({ ok: true, decided: { approved: false, reason: 'rejected', by: 'cli', asked: true } })
  expect((await p).decided).toMatchObject({ reason: 'rejected' })
})

describe('validate', () => {
  const frozen = (kind: ApprovalKind = 'message', defaults = [A1]) =>
    ({
      ...input('https://a.example', kind).draft,
      choices: kind === 'connect' ? { accounts: [A1, A2], defaults } : undefined,
    }) as unknown as ApprovalRequest

  test('approvals carry a rule (at most 128 characters); not asked is never set', () => {
    expect(validate(frozen(), { approved: true, rule: 'r'.repeat(200) }, 'policy')).toEqual({
      approved: true,
      by: 'policy',
      asked: true,
      rule: 'r'.repeat(128),
    })
    expect(validate(frozen('connect'), { approved: true, rule: 'ci' }, 'policy')).toEqual({
      approved: true,
      accounts: [A1],
      by: 'policy',
      asked: true,
      rule: 'ci',
    })
    expect(validate(frozen('connect'), { approved: true, accounts: [A2, A1], rule: 'ci' }, 'p')).toEqual({
      approved: true,
      accounts: [A2, A1],
      by: 'p',
      asked: true,
      rule: 'ci',
    })
  })

  test('connect choices: duplicates collapse; no defaults, non-strings or unknown accounts are invalid', () => {
    const invalid = { approved: false, reason: 'invalid-decision', by: 'p', asked: true }
    expect(
      validate(frozen('connect'), { approved: true, accounts: [A1, A1.toLowerCase() as never] }, 'p'),
    ).toEqual({
      approved: true,
      accounts: [A1],
      by: 'p',
      asked: true,
    })
    expect(validate(frozen('connect', []), { approved: true }, 'p')).toEqual(invalid)
    expect(validate(frozen('connect'), { approved: true, accounts: [1 as never] }, 'p')).toEqual(invalid)
    expect(validate(frozen('connect'), { approved: true, accounts: 'x' as never }, 'p')).toEqual(invalid)
  })

  test('rejections keep a known reason, a rule and a note (at most 200 characters); anything else is invalid', () => {
    expect(
      validate(
        frozen(),
        { approved: false, reason: 'timeout', rule: 'night', note: 'n'.repeat(300) } as never,
        'p',
      ),
    ).toEqual({
      approved: false,
      reason: 'timeout',
      by: 'p',
      asked: true,
      rule: 'night',
      note: 'n'.repeat(200),
    })
    expect(validate(frozen(), { approved: false, note: 42 } as never, 'p')).toEqual({
      approved: false,
      reason: 'rejected',
      by: 'p',
      asked: true,
    })
    expect(validate(frozen(), null, 'p')).toEqual({
      approved: false,
      reason: 'invalid-decision',
      by: 'p',
      asked: true,
    })
  })
})

describe('instant approvers: details', () => {
  test('a decision by an instant approver is announced as settled, like any other', async () => {
    const policy: Approver = {
      name: 'policy',
      instant: true,
      decide: async () => ({ approved: true, rule: 'ci' }),
    }
    const b = createApprovalBroker({ approvers: [policy], timeoutMs: 1000 })
    const events: BrokerEvent[] = []
    b.subscribe((e) => events.push(e))
    const { request, decided } = await b.request(input('https://a.example'), signal())
    expect(decided).toEqual({ approved: true, by: 'policy', asked: true, rule: 'ci' })
    expect(events).toEqual([{ type: 'settled', request, decided }])
  })

  test('only instant approvers: one that throws makes it an error; one that abstains, no-approver', async () => {
    const throws: Approver = {
      name: 'policy',
      instant: true,
      decide: async () => {
        throw new Error('bug')
      },
    }
    const abstains: Approver = { name: 'policy', instant: true, decide: async () => undefined }
    expect(
      (
        await createApprovalBroker({ approvers: [throws], timeoutMs: 1000 }).request(
          input('https://a.example'),
          signal(),
        )
      ).decided,
    ).toEqual({ approved: false, reason: 'error', by: 'walletd', asked: false })
    expect(
      (
        await createApprovalBroker({ approvers: [abstains], timeoutMs: 1000 }).request(
          input('https://a.example'),
          signal(),
        )
      ).decided,
    ).toEqual({ approved: false, reason: 'no-approver', by: 'walletd', asked: false })
    expect(createApprovalBroker({ approvers: [abstains], timeoutMs: 1000 }).canDecide).toBe(true)
    expect(createApprovalBroker({ approvers: [], external: true, timeoutMs: 1000 }).approverNames).toEqual([
      'cli',
    ])
    expect(createApprovalBroker({ approvers: [abstains], timeoutMs: 1000 }).approverNames).toEqual(['policy'])
  })

  test('a closed connection is cancelled before an instant approver is asked', async () => {
    let asked = 0
    const policy: Approver = {
      name: 'policy',
      instant: true,
      decide: async () => {
        asked++
        return { approved: true }
      },
    }
    const c = new AbortController()
    c.abort()
    const b = createApprovalBroker({ approvers: [policy], timeoutMs: 1000 })
    expect((await b.request(input('https://a.example'), c.signal)).decided).toEqual({
      approved: false,
      reason: 'cancelled',
      by: 'walletd',
      asked: false,
    })
    expect(asked).toBe(0)
  })
})

describe('the broker: deadlines, connections, listeners', () => {
  test('a timeout and a closed connection are decided by walletd, after asking', async () => {
    const m = manualApprover()
    const b = createApprovalBroker({ approvers: [m.approver], timeoutMs: 20 })
    expect((await b.request(input('https://a.example'), signal())).decided).toEqual({
      approved: false,
      reason: 'timeout',
      by: 'walletd',
      asked: true,
    })
    const c = new AbortController()
    const p = b.request(input('https://b.example'), c.signal)
    await settle()
    c.abort()
    expect((await p).decided).toEqual({ approved: false, reason: 'cancelled', by: 'walletd', asked: true })
  })

  test('no approver at all: no-approver even when the connection is already closed', async () => {
    const c = new AbortController()
    c.abort()
    const b = createApprovalBroker({ approvers: [], timeoutMs: 1000 })
    expect((await b.request(input('https://a.example'), c.signal)).decided).toMatchObject({
      reason: 'no-approver',
    })
  })

  test('a connection asking many times keeps no abort listener from requests already decided', async () => {
    const policy: Approver = {
      name: 'policy',
      instant: true,
      decide: async (r) => (r.origin === 'https://policy.example' ? { approved: true } : undefined),
    }
    const m = manualApprover()
    const b = createApprovalBroker({ approvers: [policy, m.approver], timeoutMs: 10_000 })
    const connection = new AbortController().signal
    for (let i = 0; i < 3; i++) {
      expect((await b.request(input('https://policy.example'), connection)).decided.approved).toBe(true)
      const p = b.request(input('https://person.example'), connection)
      await settle()
      m.waiting.at(-1)!.answer({ approved: true })
      expect((await p).decided.approved).toBe(true)
    }
    expect(getEventListeners(connection, 'abort')).toHaveLength(0)
  })
})
