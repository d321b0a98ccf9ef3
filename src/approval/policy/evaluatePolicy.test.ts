import { describe, expect, test } from 'vitest'
import type { ApprovalFacts, ApprovalRequest, SimulationFacts } from '../types.js'
import { requestFromJson } from './checkRequest.js'
import { createPolicyApprover } from './createPolicyApprover.js'
import { evaluatePolicy, policyCovers } from './evaluatePolicy.js'
import { type Policy, PolicySchema } from './policySchema.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const C = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const ETH = 10n ** 18n

const policy = (rules: unknown[], extra: object = {}): Policy =>
  PolicySchema.parse({ version: 1, rules, ...extra })

function request(facts: ApprovalFacts, over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return Object.freeze({
    id: 'r',
    origin: 'token:ci',
    method: 'x',
    kind: facts.kind,
    chainId: facts.chainId,
    summary: '',
    details: {},
    facts,
    warnings: [],
    answer: 'yes',
    choices:
      facts.kind === 'connect' ? { accounts: facts.accounts, defaults: [facts.accounts[0]!] } : undefined,
    createdAt: 0,
    expiresAt: 0,
    ...over,
  })
}

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
