import { describe, expect, test } from 'vitest'
import { approvalRequestOf } from '../../../test/helpers/approvalRequests.js'
import type { ApprovalFacts } from '../types.js'
import { devPolicy } from './devPolicy.js'
import { evaluatePolicy, policyCovers } from './evaluatePolicy.js'
import { PolicySchema } from './policySchema.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const OTHER = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

const request = (facts: ApprovalFacts) =>
  approvalRequestOf(facts, { origin: 'http://localhost:5173', method: 'm' })
const noSpend = { spent: () => 0n }
const decide = (facts: ApprovalFacts) =>
  evaluatePolicy(devPolicy([A, B]), request(facts), noSpend, 0).decision
const tx = (over: object = {}): ApprovalFacts =>
  ({
    kind: 'transaction',
    chainId: 31337,
    account: A,
    to: OTHER,
    value: 1n,
    data: '0x',
    selector: null,
    gas: 21_000n,
    maxFeeWei: 0n,
    ...over,
  }) as ApprovalFacts

describe('devPolicy (start --dev --policy dev)', () => {
  test('is a valid policy of its own schema, with a rate limit for scripts', () => {
    const p = devPolicy([A, B])
    expect(PolicySchema.parse(p)).toEqual(p)
    expect(p.version).toBe(1)
    expect(p.description).toBe('walletd built-in dev policy: chain 31337, Anvil dev accounts only.')
    expect(p.rateLimit).toEqual({ burst: 1000, perSecond: 500 })
    expect(p.rules.map((r) => r.name)).toEqual(['dev'])
  })

  test('approves connect (granting the dev accounts), signatures, transactions and batches on 31337 only', () => {
    expect(decide({ kind: 'connect', chainId: 31337, accounts: [OTHER, B, A] })).toEqual({
      approved: true,
      rule: 'dev',
      accounts: [B, A],
    })
    const msg: ApprovalFacts = {
      kind: 'message',
      chainId: 31337,
      account: B,
      bytes: '0x',
      text: 'hi',
      siwe: null,
    }
    expect(decide(msg)).toEqual({ approved: true, rule: 'dev' })
    const typed: ApprovalFacts = {
      kind: 'typedData',
      chainId: 31337,
      account: A,
      primaryType: 'Mail',
      domain: {},
    }
    expect(decide(typed)).toEqual({ approved: true, rule: 'dev' })
    expect(decide(tx())).toEqual({ approved: true, rule: 'dev' })
    const batch: ApprovalFacts = {
      kind: 'calls',
      chainId: 31337,
      account: A,
      calls: [{ to: OTHER, value: 1n, data: '0x', selector: null }],
      value: 1n,
      gas: 21_000n,
      maxFeeWei: 0n,
    }
    expect(decide(batch)).toEqual({ approved: true, rule: 'dev' })
  })

  test('never another chain, another account, a chain switch, an asset or an allowance', () => {
    expect(decide(tx({ chainId: 1 }))).toBeUndefined()
    expect(decide(tx({ account: OTHER }))).toBeUndefined()
    expect(decide({ kind: 'connect', chainId: 31337, accounts: [OTHER] })).toBeUndefined()
    expect(decide({ kind: 'chain', chainId: 31337, action: 'switch', targetChainId: 31337 })).toBeUndefined()
    expect(
      decide({ kind: 'asset', chainId: 31337, standard: 'ERC20', address: OTHER, symbol: 'T', decimals: 18 }),
    ).toBeUndefined()
    expect(decide(tx({ data: `0x095ea7b3${'0'.repeat(128)}`, selector: '0x095ea7b3' }))).toMatchObject({
      approved: false,
      rule: 'dev',
    })
    // The accounts are copied: changing the list given later changes nothing.
    const accounts: `0x${string}`[] = [A]
    const p = devPolicy(accounts)
    accounts.push(OTHER)
    expect(p.rules[0]?.accounts).toEqual([A])
    const any = { origin: 'x', method: 'm', chainId: 31337 }
    expect(policyCovers(p, { ...any, kind: 'chain' })).toBe(false)
    expect(policyCovers(p, { ...any, kind: 'calls' })).toBe(true)
  })
})
