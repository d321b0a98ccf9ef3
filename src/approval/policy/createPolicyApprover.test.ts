import { describe, expect, test } from 'vitest'
import { policyOf as policy, approvalRequestOf as request } from '../../../test/helpers/approvalRequests.js'
import type { ApprovalFacts, SimulationFacts } from '../types.js'
import { createPolicyApprover } from './createPolicyApprover.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const
const ETH = 10n ** 18n
const signal = new AbortController().signal

const simulated = (nativeChange: bigint, tokenChange = 0n): SimulationFacts => ({
  status: 'success',
  by: 'eth_simulateV1',
  changesKnown: true,
  nativeChange,
  fee: 0n,
  gasUsed: 21_000n,
  calls: [{ status: 'success', gasUsed: 21_000n }],
  tokenChanges:
    tokenChange === 0n
      ? []
      : [
          {
            token: TOKEN,
            standard: 'erc20',
            tokenId: null,
            change: tokenChange,
            symbol: null,
            decimals: null,
          },
        ],
  approvals: [],
  contractsCreated: [],
  revert: null,
  newRecipients: [],
  notes: [],
})

const tx = (value: bigint, over: object = {}): ApprovalFacts =>
  ({
    kind: 'transaction',
    chainId: 31337,
    account: A,
    to: B,
    value,
    data: '0x',
    selector: null,
    gas: 21_000n,
    maxFeeWei: 0n,
    ...over,
  }) as ApprovalFacts

const batch = (value: bigint, over: object = {}): ApprovalFacts =>
  ({
    kind: 'calls',
    chainId: 31337,
    account: A,
    calls: [{ to: B, value, data: '0x', selector: null }],
    value,
    gas: 21_000n,
    maxFeeWei: 0n,
    ...over,
  }) as ApprovalFacts

const approved = (rule: string) => ({ approved: true, rule })
const refused = (rule: string) => ({ approved: false, reason: 'rejected', rule })

describe('createPolicyApprover', () => {
  test('an instant approver named policy, carrying the policy and its hash', async () => {
    const p = policy([{ name: 'r', action: 'approve', chainIds: [31337] }])
    const approver = createPolicyApprover({ policy: p, hash: 'abc' })
    expect(approver.name).toBe('policy')
    expect(approver.instant).toBe(true)
    expect(approver.policy).toBe(p)
    expect(approver.hash).toBe('abc')
    // Without an injected clock it still decides (the system clock).
    expect(await approver.decide(request(tx(1n)), signal)).toEqual(approved('r'))
  })

  test('batches count against the spend cap like transactions; signatures and rejections do not', async () => {
    const p = policy([
      { name: 'no-b', action: 'reject', chainIds: [31337], kinds: ['message'], accounts: [B] },
      {
        name: 'capped',
        action: 'approve',
        chainIds: [31337],
        spend: { maxWei: String(3n * ETH), periodSeconds: 60 },
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => 1_000 })
    const msg: ApprovalFacts = {
      kind: 'message',
      chainId: 31337,
      account: A,
      bytes: '0x',
      text: 'hi',
      siwe: null,
    }
    expect(await approver.decide(request(msg), signal)).toEqual(approved('capped'))
    expect(await approver.decide(request({ ...msg, account: B }), signal)).toEqual(refused('no-b'))
    expect(await approver.decide(request(batch(2n * ETH, { maxFeeWei: ETH / 2n })), signal)).toEqual(
      approved('capped'),
    )
    // 2.5 ETH spent by the batch: 0.5 ETH is left.
    expect(await approver.decide(request(tx(ETH)), signal)).toEqual(refused('capped'))
    expect(await approver.decide(request(tx(ETH / 2n)), signal)).toEqual(approved('capped'))
    expect(await approver.decide(request(tx(1n)), signal)).toEqual(refused('capped'))
  })

  test('each rule keeps its own spend; a rule without a cap records nothing', async () => {
    const p = policy([
      {
        name: 'to-b',
        action: 'approve',
        chainIds: [31337],
        to: [B],
        spend: { maxWei: String(ETH), periodSeconds: 60 },
      },
      {
        name: 'rest',
        action: 'approve',
        chainIds: [31337],
        spend: { maxWei: String(ETH), periodSeconds: 60 },
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => 5 })
    expect(await approver.decide(request(tx(ETH)), signal)).toEqual(approved('to-b'))
    expect(await approver.decide(request(tx(ETH, { to: A })), signal)).toEqual(approved('rest'))
    expect(await approver.decide(request(tx(1n)), signal)).toEqual(refused('to-b'))
    expect(await approver.decide(request(tx(1n, { to: A })), signal)).toEqual(refused('rest'))
  })

  test('per-period outflow caps: each asset on its own, each rule on its own, one record per asset', async () => {
    let t = 1_000_000
    const p = policy([
      {
        name: 'both',
        action: 'approve',
        chainIds: [31337],
        to: [B],
        maxOutflowPerPeriod: [
          { token: 'native', amount: '10', periodSeconds: 3600 },
          { token: TOKEN, amount: '10', periodSeconds: 3600 },
          // A second, longer cap on the same token: this one approval is counted once for both.
          { token: TOKEN.toLowerCase(), amount: '100', periodSeconds: 86_400 },
        ],
      },
      {
        name: 'other',
        action: 'approve',
        chainIds: [31337],
        maxOutflowPerPeriod: [{ token: 'native', amount: '10', periodSeconds: 3600 }],
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    const send = (native: bigint, token: bigint, to: string = B) =>
      approver.decide(request(tx(0n, { to, simulation: simulated(-native, -token) })), signal)
    expect(await send(6n, 6n)).toEqual(approved('both'))
    expect(await send(4n, 4n)).toEqual(approved('both'))
    expect(await send(1n, 0n)).toEqual(refused('both'))
    expect(await send(0n, 1n)).toEqual(refused('both'))
    // The other rule's native outflow is its own.
    expect(await send(10n, 0n, A)).toEqual(approved('other'))
    expect(await send(1n, 0n, A)).toEqual(refused('other'))
    // An hour later the hourly caps are free again; the daily one still remembers 10 of 100.
    t += 3_600_000
    expect(await send(10n, 10n)).toEqual(approved('both'))
    t += 3_600_000
    for (let i = 0; i < 7; i++) {
      expect(await send(0n, 10n)).toEqual(approved('both'))
      t += 3_600_000
    }
    // 10 + 10 + 70 = 90 of the daily 100: 10 more is fine, 11 is not.
    expect(await send(0n, 11n)).toEqual(refused('both'))
    expect(await send(0n, 10n)).toEqual(approved('both'))
  })

  test('earlier records are kept as long as the longest period of any rule', async () => {
    let t = 0
    const p = policy([
      {
        name: 'short',
        action: 'approve',
        chainIds: [31337],
        to: [B],
        spend: { maxWei: '10', periodSeconds: 10 },
      },
      {
        name: 'long',
        action: 'approve',
        chainIds: [31337],
        spend: { maxWei: '10', periodSeconds: 100 },
        maxOutflowPerPeriod: [{ token: 'native', amount: '10', periodSeconds: 1000 }],
      },
    ])
    const approver = createPolicyApprover({ policy: p, hash: 'h', now: () => t })
    const long = (value: bigint) =>
      approver.decide(request(tx(value, { to: A, simulation: simulated(-value) })), signal)
    expect(await long(6n)).toEqual(approved('long'))
    t = 99_000
    expect(await long(4n)).toEqual(approved('long'))
    t = 100_000 // the spend of t=0 leaves the spend window, not the outflow window
    expect(await long(1n)).toEqual(refused('long'))
    t = 999_999
    expect(await long(1n)).toEqual(refused('long'))
    t = 1_000_000
    expect(await long(6n)).toEqual(approved('long'))
    // The short rule's spend is forgotten after its own 10 s.
    expect(await approver.decide(request(tx(10n)), signal)).toEqual(approved('short'))
    t = 1_009_999
    expect(await approver.decide(request(tx(1n)), signal)).toEqual(refused('short'))
    t = 1_010_000
    expect(await approver.decide(request(tx(10n)), signal)).toEqual(approved('short'))
  })
})
