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
