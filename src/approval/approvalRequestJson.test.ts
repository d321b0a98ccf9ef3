import { describe, expect, test } from 'vitest'
import {
  approvalRequestFromJson,
  approvalRequestToJson,
  decidedFromJson,
  decidedToJson,
} from './approvalRequestJson.js'
import type { ApprovalRequest } from './types.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' as const
const tx: ApprovalRequest = {
  id: 'r1',
  origin: 'https://app.example',
  method: 'eth_sendTransaction',
  kind: 'transaction',
  chainId: 1,
  summary: 'Send',
  details: { value: '1.5 ETH' },
  facts: {
    kind: 'transaction',
    chainId: 1,
    account: A,
    to: null,
    value: 1_500_000_000_000_000_000n,
    data: '0x',
    selector: null,
    gas: 21_000n,
    maxFeeWei: 2n ** 200n,
    decoded: {
      standard: 'erc20',
      name: 'approve',
      counterparty: A,
      amount: 2n ** 256n - 1n,
      grantsApproval: true,
      unlimited: true,
    },
  },
  warnings: [{ level: 'warning', message: 'w' }],
  answer: 'recipient',
  choices: undefined,
  createdAt: 1,
  expiresAt: 2,
}

describe('approval requests on the wire', () => {
  test('bigints travel as decimal strings and come back as bigints; JSON.stringify works', () => {
    const wire = approvalRequestToJson(tx)
    const text = JSON.stringify(wire)
    expect(text).toContain('"value":"1500000000000000000"')
    expect(text).toContain(`"amount":"${2n ** 256n - 1n}"`)
    expect(text).not.toContain('"choices"')
    const back = approvalRequestFromJson(JSON.parse(text))
    expect(back.facts).toEqual(tx.facts)
    expect(back).toMatchObject({ id: 'r1', answer: 'recipient', warnings: tx.warnings })
  })

  test('decisions round-trip; anything malformed is refused', () => {
    const d = { approved: false, reason: 'rejected', by: 'cli', asked: true, note: 'no' } as const
    expect(decidedFromJson(JSON.parse(JSON.stringify(decidedToJson(d))))).toEqual(d)
    expect(() => approvalRequestFromJson({ id: 'x' })).toThrow()
    expect(() =>
      approvalRequestFromJson({ ...JSON.parse(JSON.stringify(approvalRequestToJson(tx))), kind: 'bogus' }),
    ).toThrow()
    expect(() => decidedFromJson({ approved: false, reason: 'whatever', by: 'x', asked: true })).toThrow()
  })
})

describe('approval requests on the wire: details', () => {
  const wire = () => JSON.parse(JSON.stringify(approvalRequestToJson(tx)))

  test('the request comes back frozen, with absent optional fields as undefined (null on the wire too)', () => {
    const w = wire()
    w.facts.decoded = { ...w.facts.decoded, counterparty: null, amount: null }
    w.choices = null
    const back = approvalRequestFromJson(w)
    expect(Object.isFrozen(back)).toBe(true)
    expect(back.choices).toBeUndefined()
    expect('choices' in back && back.choices === undefined).toBe(true)
    const facts = back.facts as Extract<ApprovalRequest['facts'], { kind: 'transaction' }>
    expect(facts.decoded).toEqual({
      standard: 'erc20',
      name: 'approve',
      counterparty: undefined,
      amount: undefined,
      grantsApproval: true,
      unlimited: true,
    })
    expect(facts.value).toBe(1_500_000_000_000_000_000n)
    expect(back.kind).toBe('transaction')
  })

  test('connect choices, typed data and chain facts round-trip', () => {
    const connect: ApprovalRequest = {
      ...tx,
      kind: 'connect',
      method: 'eth_requestAccounts',
      answer: 'yes',
      facts: { kind: 'connect', chainId: 1, accounts: [A] },
      choices: { accounts: [A], defaults: [A] },
    }
    expect(approvalRequestFromJson(JSON.parse(JSON.stringify(approvalRequestToJson(connect))))).toEqual(
      connect,
    )
    const typed: ApprovalRequest = {
      ...tx,
      kind: 'typedData',
      answer: 'yes',
      facts: {
        kind: 'typedData',
        chainId: 1,
        account: A,
        primaryType: 'Permit',
        domain: { name: 'USD', version: '1', chainId: 1, verifyingContract: A },
      },
    }
    expect(approvalRequestFromJson(JSON.parse(JSON.stringify(approvalRequestToJson(typed))))).toEqual(typed)
    const negative = wire()
    negative.facts.decoded.amount = '-5'
    expect((approvalRequestFromJson(negative).facts as { decoded: { amount: bigint } }).decoded.amount).toBe(
      -5n,
    )
    const bad = wire()
    bad.facts.value = '1.5'
    expect(() => approvalRequestFromJson(bad)).toThrow()
  })

  test('decisions: approvals with accounts and rule; null optional fields become undefined', () => {
    expect(decidedFromJson({ approved: true, by: 'policy', asked: true, accounts: [A], rule: 'ci' })).toEqual(
      { approved: true, by: 'policy', asked: true, accounts: [A], rule: 'ci' },
    )
    const d = decidedFromJson({
      approved: false,
      by: 'cli',
      asked: true,
      reason: 'rejected',
      rule: null,
      note: null,
    })
    expect(d).toEqual({
      approved: false,
      by: 'cli',
      asked: true,
      reason: 'rejected',
      rule: undefined,
      note: undefined,
    })
    expect(decidedToJson({ approved: true, by: 'cli', asked: true })).toEqual({
      approved: true,
      by: 'cli',
      asked: true,
    })
  })
})
