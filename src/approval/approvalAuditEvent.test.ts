import { describe, expect, test } from 'vitest'
import { approvalAuditEvent } from './approvalAuditEvent.js'
import type { ApprovalRequest } from './types.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' as const
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const

const tx: ApprovalRequest = {
  id: 'req-7',
  origin: 'https://app.example',
  method: 'eth_sendTransaction',
  kind: 'transaction',
  chainId: 31337,
  summary: 'Send 1 ETH',
  details: { shown: 'only to people' },
  facts: {
    kind: 'transaction',
    chainId: 31337,
    account: A,
    to: B,
    value: 10n ** 18n,
    data: '0x',
    selector: null,
    gas: 21_000n,
    maxFeeWei: 7n,
  },
  warnings: [{ level: 'warning', message: 'new recipient' }],
  answer: 'recipient',
  createdAt: 1,
  expiresAt: 2,
}

const common = {
  type: 'approval',
  id: 'req-7',
  origin: 'https://app.example',
  method: 'eth_sendTransaction',
  kind: 'transaction',
  chainId: 31337,
  summary: 'Send 1 ETH',
  warnings: [{ level: 'warning', message: 'new recipient' }],
  facts: {
    kind: 'transaction',
    chainId: 31337,
    account: A,
    to: B,
    value: '1000000000000000000',
    data: '0x',
    selector: null,
    gas: '21000',
    maxFeeWei: '7',
  },
}

describe('approvalAuditEvent', () => {
  test('an approval by a person: who, asked, the request and its typed facts as JSON-safe values', () => {
    const event = approvalAuditEvent(tx, { approved: true, by: 'terminal', asked: true })
    expect(event).toEqual({ ...common, approved: true, by: 'terminal', asked: true })
    expect(JSON.parse(JSON.stringify(event))).toEqual(event)
  })

  test('an approval by a policy rule names the rule; a connect approval lists the accounts granted', () => {
    expect(approvalAuditEvent(tx, { approved: true, by: 'policy', asked: true, rule: 'ci' })).toEqual({
      ...common,
      approved: true,
      by: 'policy',
      asked: true,
      rule: 'ci',
    })
    const accounts: `0x${string}`[] = [B]
    const event = approvalAuditEvent(tx, { approved: true, by: 'cli', asked: true, accounts })
    expect(event).toEqual({ ...common, approved: true, by: 'cli', asked: true, accounts: [B] })
    // A copy: what was granted is recorded as it was.
    accounts.push(A)
    expect((event as unknown as { accounts: string[] }).accounts).toEqual([B])
  })

  test('a refusal: the reason, the rule and the note when there are any', () => {
    expect(
      approvalAuditEvent(tx, { approved: false, reason: 'blocked', by: 'walletd', asked: false }),
    ).toEqual({
      ...common,
      approved: false,
      by: 'walletd',
      asked: false,
      reason: 'blocked',
    })
    expect(
      approvalAuditEvent(tx, {
        approved: false,
        reason: 'rejected',
        by: 'cli',
        asked: true,
        rule: 'no-b',
        note: 'not today',
      }),
    ).toEqual({
      ...common,
      approved: false,
      by: 'cli',
      asked: true,
      reason: 'rejected',
      rule: 'no-b',
      note: 'not today',
    })
    const empty = approvalAuditEvent(tx, {
      approved: false,
      reason: 'rejected',
      by: 'cli',
      asked: true,
      rule: '',
      note: '',
    })
    expect(empty).not.toHaveProperty('rule')
    expect(empty).not.toHaveProperty('note')
  })
})
