import { describe, expect, test } from 'vitest'
import { policyOf as policy, approvalRequestOf as request } from '../../../test/helpers/approvalRequests.js'
import type { ApprovalFacts, ApprovalRequest, SimulationFacts } from '../types.js'
import { requestFromJson } from './checkRequest.js'
import { createPolicyApprover } from './createPolicyApprover.js'
import {
  assetKey,
  evaluatePolicy,
  grantsApproval,
  policyCovers,
  type SpendLedger,
  simulatedOutflow,
} from './evaluatePolicy.js'
import { type Policy, PolicySchema } from './policySchema.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const C = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const ETH = 10n ** 18n

const tx = (over: Partial<Extract<ApprovalFacts, { kind: 'transaction' }>> = {}): ApprovalFacts => ({
  kind: 'transaction',
  chainId: 31337,
  account: A,
  to: B,
  value: ETH,
  data: '0x',
  selector: null,
  gas: 21_000n,
  maxFeeWei: 0n,
  ...over,
})
const noSpend = { spent: () => 0n }
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const

/** A simulation that saw the changes: the sender's native change (fee included) and token changes. */
const simulated = (over: Partial<SimulationFacts> = {}): SimulationFacts => ({
  status: 'success',
  by: 'eth_simulateV1',
  changesKnown: true,
  nativeChange: 0n,
  fee: 0n,
  gasUsed: 21_000n,
  calls: [{ status: 'success', gasUsed: 21_000n }],
  tokenChanges: [],
  approvals: [],
  contractsCreated: [],
  revert: null,
  newRecipients: [],
  notes: [],
  ...over,
})
const tokenOut = (amount: bigint, tokenId: bigint | null = null) => ({
  token: TOKEN,
  standard: 'erc20' as const,
  tokenId,
  change: -amount,
  symbol: 'TT',
  decimals: 6,
})

describe('evaluatePolicy', () => {
  test('every rule must name its chains; a rule never approves on a chain it does not name', () => {
    expect(() => policy([{ name: 'x', action: 'approve' }])).toThrow(/chainIds/)
    const p = policy([{ name: 'anvil', action: 'approve', chainIds: [31337] }])
    expect(evaluatePolicy(p, request(tx()), noSpend, 0).decision).toEqual({ approved: true, rule: 'anvil' })
    const other = evaluatePolicy(p, request(tx({ chainId: 1 })), noSpend, 0)
    expect(other.decision).toBeUndefined()
    expect(other.why).toContain('chain 1 is not one of its chainIds')
    // A switch needs both chains named.
    const sw: ApprovalFacts = { kind: 'chain', chainId: 31337, action: 'switch', targetChainId: 1 }
    expect(evaluatePolicy(p, request(sw), noSpend, 0).decision).toBeUndefined()
  })

  test('the first matching rule decides; conditions: origins, kinds, methods, accounts, to, selectors', () => {
    const p = policy([
      { name: 'no-b', action: 'reject', chainIds: [31337], to: [B] },
      {
        name: 'ci',
        action: 'approve',
        chainIds: [31337],
        origins: ['token:ci'],
        kinds: ['transaction'],
        methods: ['eth_sendTransaction'],
        accounts: [A],
        to: [C, 'create'],
        selectors: ['0xa9059cbb', '0xd09de08a'],
      },
    ])
    const ok = (facts: ApprovalFacts, over: Partial<ApprovalRequest> = {}) =>
      evaluatePolicy(p, request(facts, { method: 'eth_sendTransaction', ...over }), noSpend, 0)
    expect(ok(tx({ to: B })).decision).toEqual({ approved: false, reason: 'rejected', rule: 'no-b' })
    const call = tx({ to: C, value: 0n, data: '0xd09de08a', selector: '0xd09de08a' })
    expect(ok(call).decision).toEqual({ approved: true, rule: 'ci' })
    expect(ok(tx({ to: null, data: '0x6080', selector: null, value: 0n })).decision).toBeUndefined() // no selector
    expect(ok(call, { origin: 'https://evil.example' }).decision).toBeUndefined()
    expect(ok(call, { method: 'wallet_sendCalls' }).decision).toBeUndefined()
    expect(ok({ ...call, account: B } as ApprovalFacts).decision).toBeUndefined()
    expect(ok({ ...call, selector: '0x12345678' } as ApprovalFacts).decision).toBeUndefined()
    // A `to` condition never matches a request without a recipient.
    const msg: ApprovalFacts = {
      kind: 'message',
      chainId: 31337,
      account: A,
      bytes: '0x',
      text: '',
      siwe: null,
    }
    expect(evaluatePolicy(p, request(msg), noSpend, 0).decision).toBeUndefined()
  })

  test('caps: maxValueWei and spend per period reject by the rule that matched', () => {
    const p = policy([
      {
        name: 'capped',
        action: 'approve',
        chainIds: [31337],
        maxValueWei: String(2n * ETH),
        spend: { maxWei: String(3n * ETH), periodSeconds: 60 },
      },
    ])
    expect(evaluatePolicy(p, request(tx({ value: 3n * ETH })), noSpend, 0)).toMatchObject({
      decision: { approved: false, reason: 'rejected', rule: 'capped' },
      why: expect.stringContaining('maxValueWei'),
    })
    const ledger = { spent: () => 2n * ETH }
    expect(evaluatePolicy(p, request(tx({ value: ETH })), ledger, 0).decision).toEqual({
      approved: true,
      rule: 'capped',
    })
    expect(evaluatePolicy(p, request(tx({ value: ETH, maxFeeWei: 1n })), ledger, 0)).toMatchObject({
      decision: { approved: false, rule: 'capped' },
      why: expect.stringContaining('spend cap'),
    })
  })

  test('approve rules refuse allowances unless allowApprovals is set (selector or typed-data primary type)', () => {
    const strict = policy([{ name: 'r', action: 'approve', chainIds: [31337] }])
    const loose = policy([{ name: 'r', action: 'approve', chainIds: [31337], allowApprovals: true }])
    const approve = tx({ to: C, value: 0n, data: `0x095ea7b3${'0'.repeat(128)}`, selector: '0x095ea7b3' })
    const permit: ApprovalFacts = {
      kind: 'typedData',
      chainId: 31337,
      account: A,
      primaryType: 'PermitSingle',
      domain: { name: 'Permit2' },
    }
    for (const f of [approve, permit]) {
      expect(evaluatePolicy(strict, request(f), noSpend, 0).decision).toMatchObject({
        approved: false,
        rule: 'r',
      })
      expect(evaluatePolicy(loose, request(f), noSpend, 0).decision).toEqual({ approved: true, rule: 'r' })
    }
  })

  test('connect: the rule names the accounts it grants (those offered); typed data by domain and type', () => {
    const p = policy([
      { name: 'connect', action: 'approve', chainIds: [31337], kinds: ['connect'], accounts: [C, B] },
      {
        name: 'mail',
        action: 'approve',
        chainIds: [31337],
        typedData: { primaryTypes: ['Mail'], domainNames: ['Ether Mail'], verifyingContracts: [C] },
      },
    ])
    const connect: ApprovalFacts = { kind: 'connect', chainId: 31337, accounts: [A, B, C] }
    expect(evaluatePolicy(p, request(connect), noSpend, 0).decision).toEqual({
      approved: true,
      rule: 'connect',
      accounts: [B, C],
    })
    const mail = (over: object): ApprovalFacts => ({
      kind: 'typedData',
      chainId: 31337,
      account: A,
      primaryType: 'Mail',
      domain: { name: 'Ether Mail', verifyingContract: C },
      ...over,
    })
    expect(evaluatePolicy(p, request(mail({})), noSpend, 0).decision).toEqual({
      approved: true,
      rule: 'mail',
    })
    expect(
      evaluatePolicy(p, request(mail({ domain: { name: 'Other', verifyingContract: C } })), noSpend, 0)
        .decision,
    ).toBeUndefined()
    expect(
      evaluatePolicy(p, request(mail({ domain: { name: 'Ether Mail' } })), noSpend, 0).decision,
    ).toBeUndefined()
  })

  test('policyCovers: only approve rules for the origin, kind, method and chain', () => {
    const p = policy([
      { name: 'no', action: 'reject', chainIds: [1] },
      { name: 'ci', action: 'approve', chainIds: [31337], origins: ['token:ci'], kinds: ['transaction'] },
    ])
    const r = { origin: 'token:ci', method: 'eth_sendTransaction', kind: 'transaction', chainId: 31337 }
    expect(policyCovers(p, r)).toBe(true)
    expect(policyCovers(p, { ...r, chainId: 1 })).toBe(false)
    expect(policyCovers(p, { ...r, origin: 'https://x.example' })).toBe(false)
    expect(policyCovers(p, { ...r, kind: 'message' })).toBe(false)
  })

  test('schema errors name the key: selectors, wei strings, unknown keys, duplicate names', () => {
    const bad = (rule: object) => PolicySchema.safeParse({ version: 1, rules: [rule] })
    const base = { name: 'r', action: 'approve', chainIds: [1] }
    expect(bad({ ...base, selectors: ['0x123'] }).success).toBe(false)
    expect(bad({ ...base, maxValueWei: 1e18 }).success).toBe(false)
    expect(bad({ ...base, maxValueWei: '1.5' }).success).toBe(false)
    expect(bad({ ...base, chainIds: [] }).success).toBe(false)
    expect(bad({ ...base, anything: true }).success).toBe(false)
    expect(PolicySchema.safeParse({ version: 1, rules: [base, base] }).success).toBe(false)
  })
})

describe('outflow caps and simulated approvals', () => {
  const caps = policy([
    {
      name: 'capped',
      action: 'approve',
      chainIds: [31337],
      maxOutflow: [
        { token: 'native', amount: String(ETH) },
        { token: TOKEN.toLowerCase(), amount: '5000000' },
      ],
    },
  ])

  test('maxOutflow: the net simulated outflow per asset, fee included for native; gains are no outflow', () => {
    const verdict = (sim: SimulationFacts | undefined) =>
      evaluatePolicy(caps, request(tx({ value: 0n, simulation: sim })), noSpend, 0)
    expect(verdict(simulated({ nativeChange: -ETH, tokenChanges: [tokenOut(5_000_000n)] })).decision).toEqual(
      {
        approved: true,
        rule: 'capped',
      },
    )
    expect(verdict(simulated({ nativeChange: -ETH - 1n }))).toMatchObject({
      decision: { approved: false, reason: 'rejected', rule: 'capped' },
      why: `refused: the simulated outflow of native is ${ETH + 1n}, above its maxOutflow ${ETH}`,
    })
    // Two NFTs-worth of ids of the same contract count together; a gain of another is no outflow.
    expect(
      verdict(simulated({ tokenChanges: [tokenOut(3_000_000n, 1n), tokenOut(3_000_000n, 2n)] })).why,
    ).toMatch(
      /outflow of 0x5fbdb2315678afecb367f032d93f642f64180aa3 is 6000000, above its maxOutflow 5000000/i,
    )
    expect(
      verdict(simulated({ nativeChange: 10n * ETH, tokenChanges: [tokenOut(-7n)] })).decision,
    ).toMatchObject({
      approved: true,
    })
  })

  test('a rule with outflow caps rejects what could not be simulated (or only with eth_call): fail closed', () => {
    const verdict = (sim: SimulationFacts | undefined) =>
      evaluatePolicy(caps, request(tx({ simulation: sim })), noSpend, 0)
    expect(verdict(undefined)).toMatchObject({
      decision: { approved: false, rule: 'capped' },
      why: 'refused: its outflow caps need the simulated balance changes, and this transaction was not simulated',
    })
    expect(
      verdict(simulated({ status: 'not-simulated', by: null, changesKnown: false, nativeChange: null }))
        .decision,
    ).toMatchObject({ approved: false, rule: 'capped' })
    expect(verdict(simulated({ by: 'eth_call', changesKnown: false, nativeChange: null })).why).toMatch(
      /simulated only with eth_call \(changes not seen\)/,
    )
    // A rule without caps does not care.
    const plain = policy([{ name: 'plain', action: 'approve', chainIds: [31337] }])
    expect(evaluatePolicy(plain, request(tx()), noSpend, 0).decision).toEqual({
      approved: true,
      rule: 'plain',
    })
  })

  test('allowApprovals: an approval seen only in the simulation (inside some other call) is refused', () => {
    const strict = policy([{ name: 'r', action: 'approve', chainIds: [31337] }])
    const hidden = tx({
      value: 0n,
      data: '0x12345678',
      selector: '0x12345678',
      simulation: simulated({
        approvals: [
          {
            standard: 'erc20',
            token: TOKEN,
            spender: C,
            amount: 1n,
            tokenId: null,
            forAll: false,
            unlimited: false,
            deadline: null,
            symbol: 'TT',
            decimals: 6,
          },
        ],
      }),
    })
    expect(evaluatePolicy(strict, request(hidden), noSpend, 0).why).toMatch(/allowApprovals is not set/)
  })

  test('a batch (calls): to and selectors hold for every call; caps on the sequence', () => {
    const p = policy([
      {
        name: 'batch',
        action: 'approve',
        chainIds: [31337],
        kinds: ['calls'],
        to: [B, C],
        maxValueWei: String(2n * ETH),
        maxOutflow: [{ token: 'native', amount: String(3n * ETH) }],
      },
    ])
    const batch = (
      calls: { to: `0x${string}` | null; value: bigint }[],
      sim = simulated(),
    ): ApprovalFacts => ({
      kind: 'calls',
      chainId: 31337,
      account: A,
      calls: calls.map((c) => ({ ...c, data: '0x', selector: null })),
      value: calls.reduce((sum, c) => sum + c.value, 0n),
      gas: 42_000n,
      maxFeeWei: 0n,
      simulation: sim,
    })
    const ok = batch([
      { to: B, value: ETH },
      { to: C, value: ETH },
    ])
    expect(evaluatePolicy(p, request(ok), noSpend, 0).decision).toEqual({ approved: true, rule: 'batch' })
    expect(
      evaluatePolicy(
        p,
        request(
          batch([
            { to: B, value: 0n },
            { to: A, value: 0n },
          ]),
        ),
        noSpend,
        0,
      ).why,
    ).toMatch(/call 2: recipient .* is not listed/)
    expect(evaluatePolicy(p, request(batch([{ to: B, value: 3n * ETH }])), noSpend, 0).why).toMatch(
      /maxValueWei/,
    )
    expect(
      evaluatePolicy(
        p,
        request(batch([{ to: B, value: 0n }], simulated({ nativeChange: -4n * ETH }))),
        noSpend,
        0,
      ).why,
    ).toMatch(/outflow of native/)
  })
})

describe('walletd policy check: facts with a simulation', () => {
  test('a transaction checked with its simulated changes; without them, a rule with caps refuses', () => {
    const p = policy([
      { name: 'capped', action: 'approve', chainIds: [31337], maxOutflow: [{ token: TOKEN, amount: '5' }] },
    ])
    const facts = { kind: 'transaction', chainId: 31337, account: A, to: TOKEN, data: '0xa9059cbb' }
    const check = (simulation?: object) =>
      evaluatePolicy(p, requestFromJson({ origin: 'token:ci', facts: { ...facts, simulation } }), noSpend, 0)
    expect(check({ tokenChanges: [{ token: TOKEN, change: '-5' }] }).decision).toEqual({
      approved: true,
      rule: 'capped',
    })
    expect(check({ tokenChanges: [{ token: TOKEN, change: '-6' }] }).why).toMatch(/above its maxOutflow 5/)
    expect(check().why).toMatch(/this transaction was not simulated/)
    expect(check({ by: 'eth_call' }).why).toMatch(/simulated only with eth_call/)
    expect(() =>
      requestFromJson({ origin: 'x', facts: { ...facts, simulation: { nativeChange: '1.5' } } }),
    ).toThrow()
  })
})

describe('createPolicyApprover', () => {
  test('maxOutflowPerPeriod: approves until the cap, then refuses the next, naming the rule; the period slides', async () => {
    let t = 0
    const p = policy([
      {
        name: 'per-hour',
        action: 'approve',
        chainIds: [31337],
        maxOutflowPerPeriod: [{ token: TOKEN, amount: '10000000', periodSeconds: 3600 }],
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    const signal = new AbortController().signal
    const send = (amount: bigint) =>
      approver.decide(request(tx({ simulation: simulated({ tokenChanges: [tokenOut(amount)] }) })), signal)
    expect(await send(4_000_000n)).toEqual({ approved: true, rule: 'per-hour' })
    expect(await send(6_000_000n)).toEqual({ approved: true, rule: 'per-hour' })
    expect(await send(1n)).toEqual({ approved: false, reason: 'rejected', rule: 'per-hour' })
    // Receiving the token is no outflow, and a refused one was not counted.
    expect(await send(-5n)).toEqual({ approved: true, rule: 'per-hour' })
    t = 3_600_001
    expect(await send(10_000_000n)).toEqual({ approved: true, rule: 'per-hour' })
  })

  test('instant; abstains without a match; records spend only for approvals, per period', async () => {
    let t = 0
    const p = policy([
      {
        name: 'capped',
        action: 'approve',
        chainIds: [31337],
        spend: { maxWei: String(2n * ETH), periodSeconds: 10 },
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    expect(approver.instant).toBe(true)
    const signal = new AbortController().signal
    expect(await approver.decide(request(tx({ chainId: 5 })), signal)).toBeUndefined()
    expect(await approver.decide(request(tx()), signal)).toEqual({ approved: true, rule: 'capped' })
    expect(await approver.decide(request(tx()), signal)).toEqual({ approved: true, rule: 'capped' })
    expect(await approver.decide(request(tx()), signal)).toMatchObject({ approved: false, rule: 'capped' })
    t = 10_001
    expect(await approver.decide(request(tx()), signal)).toEqual({ approved: true, rule: 'capped' })
  })

  test('the spend window keeps earlier spends for the whole period, counts fees, and ends exactly at the period', async () => {
    let t = 0
    const p = policy([
      {
        name: 'capped',
        action: 'approve',
        chainIds: [31337],
        spend: { maxWei: String(3n * ETH), periodSeconds: 10 },
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    const signal = new AbortController().signal
    const send = () => approver.decide(request(tx({ maxFeeWei: ETH / 2n })), signal)
    expect(await send()).toEqual({ approved: true, rule: 'capped' }) // t=0: 1.5 ETH
    t = 5_000
    expect(await send()).toEqual({ approved: true, rule: 'capped' }) // t=5 s: 3 ETH in the window
    t = 9_999
    expect(await send()).toMatchObject({ approved: false, rule: 'capped' })
    t = 10_000 // the t=0 spend leaves the window: 1.5 ETH spent
    expect(await send()).toEqual({ approved: true, rule: 'capped' })
  })

  test('the outflow window keeps earlier outflows for the whole period', async () => {
    let t = 0
    const p = policy([
      {
        name: 'per-hour',
        action: 'approve',
        chainIds: [31337],
        maxOutflowPerPeriod: [{ token: TOKEN, amount: '10', periodSeconds: 3600 }],
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    const signal = new AbortController().signal
    const send = (amount: bigint) =>
      approver.decide(request(tx({ simulation: simulated({ tokenChanges: [tokenOut(amount)] }) })), signal)
    expect(await send(6n)).toEqual({ approved: true, rule: 'per-hour' })
    t = 1_800_000
    expect(await send(4n)).toEqual({ approved: true, rule: 'per-hour' })
    t = 3_000_000
    expect(await send(1n)).toEqual({ approved: false, reason: 'rejected', rule: 'per-hour' })
  })
})

describe('why a rule does not match: each condition, in words', () => {
  const why = (rule: object, facts: ApprovalFacts, over: Partial<ApprovalRequest> = {}) =>
    evaluatePolicy(
      policy([{ name: 'r', action: 'approve', chainIds: [31337], ...rule }]),
      request(facts, over),
      noSpend,
      0,
    )
  const miss = (rule: object, facts: ApprovalFacts, reason: string, over: Partial<ApprovalRequest> = {}) => {
    const v = why(rule, facts, over)
    expect(v).toEqual({ decision: undefined, rule: null, why: `no rule matched (r: ${reason})` })
  }
  const msg: ApprovalFacts = {
    kind: 'message',
    chainId: 31337,
    account: A,
    bytes: '0x',
    text: 'hi',
    siwe: null,
  }
  const typed = (over: object = {}): ApprovalFacts => ({
    kind: 'typedData',
    chainId: 31337,
    account: A,
    primaryType: 'Mail',
    domain: { name: 'Ether Mail', verifyingContract: C },
    ...over,
  })
  const batch = (calls: { to: `0x${string}` | null; selector: `0x${string}` | null }[]): ApprovalFacts => ({
    kind: 'calls',
    chainId: 31337,
    account: A,
    calls: calls.map((c) => ({ ...c, value: 0n, data: c.selector ?? '0x' })),
    value: 0n,
    gas: 42_000n,
    maxFeeWei: 0n,
  })

  test('chain, target chain, origin, kind, method, account', () => {
    miss({}, tx({ chainId: 1 }), 'chain 1 is not one of its chainIds')
    miss(
      {},
      { kind: 'chain', chainId: 31337, action: 'switch', targetChainId: 10 },
      'the target chain 10 is not one of its chainIds',
    )
    expect(
      why({ chainIds: [31337, 10] }, { kind: 'chain', chainId: 31337, action: 'switch', targetChainId: 10 })
        .decision,
    ).toEqual({ approved: true, rule: 'r' })
    miss({ origins: ['token:other'] }, tx(), 'origin token:ci is not listed')
    miss({ kinds: ['message'] }, tx(), 'kind transaction is not listed')
    miss({ methods: ['eth_sign'] }, tx(), 'method x is not listed')
    miss({ accounts: [B] }, tx(), `account ${A} is not listed`)
    miss(
      { accounts: [B] },
      { kind: 'connect', chainId: 31337, accounts: [A, C] },
      'none of its accounts is unlocked',
    )
    // One of its accounts offered is enough; it grants only those.
    expect(why({ accounts: [B, C] }, { kind: 'connect', chainId: 31337, accounts: [A, C] }).decision).toEqual(
      {
        approved: true,
        rule: 'r',
        accounts: [C],
      },
    )
    miss(
      { accounts: [A] },
      { kind: 'chain', chainId: 31337, action: 'switch', targetChainId: 31337 },
      'a chain request acts for no account',
    )
    // Accounts compare without regard to case.
    expect(why({ accounts: [A] }, tx({ account: A.toLowerCase() as `0x${string}` })).decision).toEqual({
      approved: true,
      rule: 'r',
    })
  })

  test('a transaction: recipient, contract creation, selector', () => {
    miss({ to: [C] }, tx(), `recipient ${B} is not listed`)
    miss({ to: [C] }, tx({ to: null }), 'contract creation is not allowed')
    expect(why({ to: ['create'] }, tx({ to: null })).decision).toEqual({ approved: true, rule: 'r' })
    miss({ to: ['create'] }, tx(), `recipient ${B} is not listed`)
    expect(why({ to: [B.toLowerCase()] }, tx()).decision).toEqual({ approved: true, rule: 'r' })
    // A rule with selectors only (no `to`).
    miss({ selectors: ['0xa9059cbb'] }, tx(), 'selector (none) is not listed')
    miss({ selectors: ['0xa9059cbb'] }, tx({ selector: '0x12345678' }), 'selector 0x12345678 is not listed')
    expect(why({ selectors: ['0xa9059cbb'] }, tx({ selector: '0xA9059CBB' })).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    miss({ to: [B] }, msg, 'a message request has no recipient or selector')
    miss({ selectors: ['0xa9059cbb'] }, msg, 'a message request has no recipient or selector')
  })

  test('a batch: every call by its number; creation; a rule with selectors only', () => {
    miss(
      { to: [B] },
      batch([
        { to: B, selector: null },
        { to: null, selector: null },
      ]),
      'call 2: contract creation is not allowed',
    )
    miss({ to: [B] }, batch([{ to: C, selector: null }]), `call 1: recipient ${C} is not listed`)
    expect(
      why(
        { to: [B.toLowerCase(), 'create'] },
        batch([
          { to: B, selector: null },
          { to: null, selector: null },
        ]),
      ).decision,
    ).toEqual({ approved: true, rule: 'r' })
    expect(why({ to: ['create'] }, batch([{ to: null, selector: null }])).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    const sel = { selectors: ['0xa9059cbb'] }
    expect(why(sel, batch([{ to: B, selector: '0xA9059CBB' }])).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    miss(
      sel,
      batch([
        { to: B, selector: '0xa9059cbb' },
        { to: C, selector: null },
      ]),
      'call 2: selector (none) is not listed',
    )
    miss(sel, batch([{ to: B, selector: '0x12345678' }]), 'call 1: selector 0x12345678 is not listed')
    // A batch under a rule without to or selectors: its calls do not matter.
    expect(why({}, batch([{ to: null, selector: '0x12345678' }])).decision).toEqual({
      approved: true,
      rule: 'r',
    })
  })

  test('typed data: primary type, domain name, verifying contract; other kinds are not typed data', () => {
    miss({ typedData: { primaryTypes: ['Order'] } }, typed(), 'primary type Mail is not listed')
    miss({ typedData: { primaryTypes: ['Mail'] } }, msg, 'a message request is not typed data')
    miss({ typedData: { domainNames: ['Other'] } }, typed(), 'domain name Ether Mail is not listed')
    expect(why({ typedData: { domainNames: ['Other', 'Ether Mail'] } }, typed()).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    miss({ typedData: { domainNames: [''] } }, typed({ domain: {} }), 'domain name (none) is not listed')
    expect(why({ typedData: { domainNames: [''] } }, typed({ domain: { name: '' } })).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    miss({ typedData: { verifyingContracts: [B] } }, typed(), `verifying contract ${C} is not listed`)
    miss(
      { typedData: { verifyingContracts: [B] } },
      typed({ domain: {} }),
      'verifying contract (none) is not listed',
    )
    expect(why({ typedData: { verifyingContracts: [C.toLowerCase()] } }, typed()).decision).toEqual({
      approved: true,
      rule: 'r',
    })
  })

  test('every skipped rule is named in order; reject and approve say so; no rules at all', () => {
    const p = policy([
      { name: 'one', action: 'approve', chainIds: [1] },
      { name: 'two', action: 'reject', chainIds: [31337], kinds: ['message'] },
      { name: 'three', action: 'reject', chainIds: [31337] },
      { name: 'four', action: 'approve', chainIds: [31337] },
    ])
    expect(evaluatePolicy(p, request(tx({ chainId: 5 })), noSpend, 0)).toEqual({
      decision: undefined,
      rule: null,
      why: 'no rule matched (one: chain 5 is not one of its chainIds; two: chain 5 is not one of its chainIds; three: chain 5 is not one of its chainIds; four: chain 5 is not one of its chainIds)',
    })
    expect(evaluatePolicy(p, request(tx()), noSpend, 0)).toEqual({
      decision: { approved: false, reason: 'rejected', rule: 'three' },
      rule: 'three',
      why: 'reject rule',
    })
    const approve = policy([{ name: 'four', action: 'approve', chainIds: [31337] }])
    expect(evaluatePolicy(approve, request(tx()), noSpend, 0)).toEqual({
      decision: { approved: true, rule: 'four' },
      rule: 'four',
      why: 'approve rule',
    })
    expect(evaluatePolicy({ version: 1, rules: [] } as Policy, request(tx()), noSpend, 0)).toEqual({
      decision: undefined,
      rule: null,
      why: 'no rule',
    })
  })

  test('policyCovers also needs the method', () => {
    const p = policy([{ name: 'm', action: 'approve', chainIds: [31337], methods: ['eth_sendTransaction'] }])
    const r = { origin: 'o', method: 'eth_sendTransaction', kind: 'transaction', chainId: 31337 }
    expect(policyCovers(p, r)).toBe(true)
    expect(policyCovers(p, { ...r, method: 'eth_sign' })).toBe(false)
  })
})

describe('caps: what they apply to, and their refusals in words', () => {
  const refusedWhy = (rule: object, facts: ApprovalFacts, ledger: SpendLedger = noSpend, now = 0) =>
    evaluatePolicy(
      policy([{ name: 'r', action: 'approve', chainIds: [31337], ...rule }]),
      request(facts),
      ledger,
      now,
    )

  test('value, spend and outflow caps do not apply to signatures', () => {
    const msg: ApprovalFacts = {
      kind: 'message',
      chainId: 31337,
      account: A,
      bytes: '0x',
      text: 'hi',
      siwe: null,
    }
    expect(
      refusedWhy(
        {
          maxValueWei: '0',
          spend: { maxWei: '0', periodSeconds: 1 },
          maxOutflow: [{ token: 'native', amount: '0' }],
        },
        msg,
      ).decision,
    ).toEqual({ approved: true, rule: 'r' })
  })

  test('maxValueWei and the spend cap: the limit itself is allowed; the refusal says how much', () => {
    expect(refusedWhy({ maxValueWei: '100' }, tx({ value: 100n })).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    expect(refusedWhy({ maxValueWei: '100' }, tx({ value: 101n })).why).toBe(
      'refused: value 101 wei is above maxValueWei 100',
    )
    const asked: number[] = []
    const ledger: SpendLedger = {
      spent: (rule, since) => {
        expect(rule).toBe('r')
        asked.push(since)
        return 40n
      },
    }
    const spend = { spend: { maxWei: '100', periodSeconds: 60 } }
    expect(refusedWhy(spend, tx({ value: 50n, maxFeeWei: 10n }), ledger, 100_000).decision).toEqual({
      approved: true,
      rule: 'r',
    })
    expect(refusedWhy(spend, tx({ value: 50n, maxFeeWei: 11n }), ledger, 100_000).why).toBe(
      'refused: its spend cap would be exceeded: 40 wei spent in the last 60 s, this one costs up to 61 wei, the cap is 100',
    )
    expect(asked).toEqual([40_000, 40_000])
  })

  test('outflow caps without the simulated changes: fail closed, and say what was missing', () => {
    const caps = { maxOutflow: [{ token: 'native', amount: '10' }] }
    const batch = (simulation?: SimulationFacts): ApprovalFacts => ({
      kind: 'calls',
      chainId: 31337,
      account: A,
      calls: [{ to: B, value: 0n, data: '0x', selector: null }],
      value: 0n,
      gas: 21_000n,
      maxFeeWei: 0n,
      simulation,
    })
    expect(refusedWhy(caps, batch()).why).toBe(
      'refused: its outflow caps need the simulated balance changes, and this batch was not simulated',
    )
    expect(
      refusedWhy(caps, batch(simulated({ status: 'not-simulated', by: null, changesKnown: false }))).why,
    ).toBe('refused: its outflow caps need the simulated balance changes, and this batch was not simulated')
    expect(
      refusedWhy(caps, tx({ simulation: simulated({ by: 'debug_traceCall', changesKnown: false }) })).why,
    ).toBe(
      'refused: its outflow caps need the simulated balance changes, and this transaction was simulated only with debug_traceCall (changes not seen)',
    )
    // A simulation that says it saw the changes but was not run is not trusted either.
    expect(refusedWhy(caps, tx({ simulation: simulated({ status: 'not-simulated', by: null }) })).why).toBe(
      'refused: its outflow caps need the simulated balance changes, and this transaction was not simulated',
    )
    // Changes seen, but not the native one: a native cap cannot be checked.
    expect(refusedWhy(caps, tx({ simulation: simulated({ nativeChange: null }) })).why).toBe(
      'refused: its outflow cap on native needs the simulated balance changes',
    )
    expect(
      refusedWhy(
        { maxOutflowPerPeriod: [{ token: 'native', amount: '10', periodSeconds: 60 }] },
        tx({ simulation: simulated({ nativeChange: null }) }),
      ).why,
    ).toBe('refused: its outflow cap on native needs the simulated balance changes')
  })

  test('per-period outflow: what the ledger says left before, asked per rule, asset and period', () => {
    const asked: unknown[] = []
    const ledger: SpendLedger = {
      spent: () => 0n,
      outflow: (rule, asset, since) => {
        asked.push([rule, asset, since])
        return 6n
      },
    }
    const caps = {
      maxOutflowPerPeriod: [
        { token: TOKEN, amount: '10', periodSeconds: 60 },
        { token: 'native', amount: '100', periodSeconds: 3600 },
      ],
    }
    const send = (out: bigint) =>
      refusedWhy(caps, tx({ simulation: simulated({ tokenChanges: [tokenOut(out)] }) }), ledger, 4_000_000)
    expect(send(4n).decision).toEqual({ approved: true, rule: 'r' })
    expect(asked).toEqual([
      ['r', TOKEN.toLowerCase(), 3_940_000],
      ['r', 'native', 400_000],
    ])
    expect(send(5n).why).toBe(
      `refused: its outflow cap on ${TOKEN} would be exceeded: 6 out in the last 60 s, this one sends 5, the cap is 10`,
    )
    // A ledger that keeps no outflows (older callers) counts nothing before.
    expect(
      refusedWhy(caps, tx({ simulation: simulated({ tokenChanges: [tokenOut(10n)] }) }), noSpend).decision,
    ).toEqual({ approved: true, rule: 'r' })
  })
})

describe('grantsApproval, simulatedOutflow, assetKey', () => {
  const approval = {
    standard: 'erc20' as const,
    token: TOKEN,
    spender: C as `0x${string}`,
    amount: 1n,
    tokenId: null,
    forAll: false,
    unlimited: false,
    deadline: null,
    symbol: null,
    decimals: null,
  }
  const decoded = (grants: boolean) => ({
    standard: 'erc20',
    name: 'x',
    grantsApproval: grants,
    unlimited: false,
  })
  const calls = (list: object[], simulation?: SimulationFacts): ApprovalFacts => ({
    kind: 'calls',
    chainId: 1,
    account: A,
    calls: list.map((c) => ({ to: B, value: 0n, data: '0x', selector: null, ...c })),
    value: 0n,
    gas: 0n,
    maxFeeWei: 0n,
    simulation,
  })

  test('a transaction grants one by its decoded call, its selector (any case) or its simulation', () => {
    expect(grantsApproval(tx())).toBe(false)
    expect(grantsApproval(tx({ selector: '0x12345678', decoded: decoded(true) }))).toBe(true)
    expect(grantsApproval(tx({ selector: '0x095ea7b3', decoded: decoded(false) }))).toBe(true)
    expect(grantsApproval(tx({ selector: '0xA22CB465' }))).toBe(true)
    expect(grantsApproval(tx({ selector: '0x12345678', decoded: decoded(false) }))).toBe(false)
    expect(grantsApproval(tx({ simulation: simulated({ approvals: [approval] }) }))).toBe(true)
    expect(grantsApproval(tx({ simulation: simulated() }))).toBe(false)
  })

  test('a batch grants one when any call does, or its simulation saw one', () => {
    expect(grantsApproval(calls([{}, {}]))).toBe(false)
    expect(grantsApproval(calls([{}, { selector: '0x39509351' }]))).toBe(true)
    expect(grantsApproval(calls([{ decoded: decoded(true) }, {}]))).toBe(true)
    expect(grantsApproval(calls([{}], simulated({ approvals: [approval] })))).toBe(true)
    expect(grantsApproval(calls([{}], simulated()))).toBe(false)
  })

  test('typed data grants one when decoded as one, when it lists allowances, or by a permit primary type', () => {
    const typed = (over: object): ApprovalFacts => ({
      kind: 'typedData',
      chainId: 1,
      account: A,
      primaryType: 'Mail',
      domain: {},
      ...over,
    })
    expect(grantsApproval(typed({}))).toBe(false)
    expect(grantsApproval(typed({ decoded: decoded(true) }))).toBe(true)
    expect(grantsApproval(typed({ decoded: decoded(false), allowances: [] }))).toBe(false)
    expect(grantsApproval(typed({ allowances: [approval] }))).toBe(true)
    for (const primaryType of ['Permit', 'PermitBatchWitnessTransferFrom', 'PermitForAll'])
      expect(grantsApproval(typed({ primaryType }))).toBe(true)
    expect(
      grantsApproval({ kind: 'message', chainId: 1, account: A, bytes: '0x', text: null, siwe: null }),
    ).toBe(false)
  })

  test('simulatedOutflow: net per asset, 0 for a gain, null when the changes are not known', () => {
    const OTHER_TOKEN = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' as const
    const sim = simulated({
      nativeChange: -5n,
      tokenChanges: [
        tokenOut(3n),
        { ...tokenOut(-1n), token: TOKEN.toUpperCase().replace('0X', '0x') as `0x${string}` },
        { ...tokenOut(100n), token: OTHER_TOKEN },
      ],
    })
    expect(simulatedOutflow(sim, 'native')).toBe(5n)
    expect(simulatedOutflow(sim, TOKEN.toLowerCase())).toBe(2n)
    expect(simulatedOutflow(sim, OTHER_TOKEN.toLowerCase())).toBe(100n)
    expect(simulatedOutflow(sim, '0x0000000000000000000000000000000000000001')).toBe(0n)
    expect(simulatedOutflow(simulated({ nativeChange: 7n, tokenChanges: [tokenOut(-9n)] }), 'native')).toBe(
      0n,
    )
    expect(simulatedOutflow(simulated({ tokenChanges: [tokenOut(-9n)] }), TOKEN.toLowerCase())).toBe(0n)
    expect(simulatedOutflow(undefined, 'native')).toBeNull()
    expect(simulatedOutflow(simulated({ changesKnown: false }), 'native')).toBeNull()
    expect(simulatedOutflow(simulated({ status: 'not-simulated' }), 'native')).toBeNull()
    expect(simulatedOutflow(simulated({ nativeChange: null }), 'native')).toBeNull()
    expect(
      simulatedOutflow(simulated({ nativeChange: null, tokenChanges: [tokenOut(4n)] }), TOKEN.toLowerCase()),
    ).toBe(4n)
  })

  test('assetKey: native, or the lowercase token address', () => {
    expect(assetKey('native')).toBe('native')
    expect(assetKey(TOKEN)).toBe(TOKEN.toLowerCase())
  })
})
