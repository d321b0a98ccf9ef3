import { describe, expect, test } from 'vitest'
import { PolicyInvalidError } from '../../errors/startup.js'
import { requestFromJson } from './checkRequest.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

/** The error `requestFromJson` throws for `json`, or a failure when it does not throw. */
function refusal(json: unknown): InstanceType<typeof PolicyInvalidError> {
  try {
    requestFromJson(json)
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyInvalidError)
    return e as InstanceType<typeof PolicyInvalidError>
  }
  throw new Error('requestFromJson accepted it')
}

const tx = (facts: object = {}) => ({
  origin: 'token:ci',
  facts: { kind: 'transaction', chainId: 31337, account: A, ...facts },
})

describe('requestFromJson (walletd policy check --request)', () => {
  test('a transaction becomes a frozen request with the defaults the daemon would fill in', () => {
    const r = requestFromJson(tx({ to: B.toLowerCase(), value: '1000', data: '0xA9059CBB0000' }))
    expect(Object.isFrozen(r)).toBe(true)
    expect(r).toEqual({
      id: 'check',
      origin: 'token:ci',
      method: '(any)',
      kind: 'transaction',
      chainId: 31337,
      summary: '',
      details: {},
      facts: {
        kind: 'transaction',
        chainId: 31337,
        account: A,
        to: B,
        value: 1000n,
        data: '0xa9059cbb0000',
        selector: '0xa9059cbb',
        gas: 21_000n,
        maxFeeWei: 0n,
      },
      warnings: [],
      answer: 'yes',
      choices: undefined,
      createdAt: 0,
      expiresAt: 0,
    })
  })

  test('amounts: decimal strings or safe integers; the selector needs 4 bytes of data', () => {
    const f = requestFromJson(tx({ method: 'x', value: 5, gas: '30000', maxFeeWei: '7', data: '0x12345678' }))
      .facts as Extract<ReturnType<typeof requestFromJson>['facts'], { kind: 'transaction' }>
    expect([f.value, f.gas, f.maxFeeWei, f.to, f.selector]).toEqual([5n, 30_000n, 7n, null, '0x12345678'])
    const short = requestFromJson(tx({ data: '0x123456' })).facts
    expect(short).toMatchObject({ data: '0x123456', selector: null })
    expect(requestFromJson({ ...tx(), method: 'eth_sendTransaction' }).method).toBe('eth_sendTransaction')
    for (const value of ['-1', '1.5', '1e3', -1, 1.5, `1${'0'.repeat(78)}`]) refusal(tx({ value }))
    refusal(tx({ data: '0x123' }))
    refusal(tx({ data: 'a9059cbb' }))
  })

  test('addresses: any case is accepted and checksummed; a non-address is refused', () => {
    const wrongChecksum = `0xF${A.slice(3)}` // mixed case with a broken checksum: still an address
    expect(requestFromJson(tx({ account: A.toLowerCase() })).facts).toMatchObject({ account: A })
    expect(requestFromJson(tx({ account: A.toUpperCase().replace('0X', '0x') })).facts).toMatchObject({
      account: A,
    })
    expect(requestFromJson(tx({ account: wrongChecksum })).facts).toMatchObject({ account: A })
    expect(refusal(tx({ account: '0x1234' })).metaMessages).toEqual(['facts.account: expected an address'])
  })

  test('refusals name the path of the first five problems, or the top level', () => {
    expect(refusal('nope').shortMessage).toBe('The --request JSON is not a request walletd can check.')
    expect(refusal('nope').metaMessages).toHaveLength(1)
    expect(refusal('nope').metaMessages?.[0]).toMatch(/^\(top level\): /)
    const many = refusal({
      origin: '',
      method: '',
      facts: { kind: 'transaction', chainId: 1.5, account: 'x', to: 'y', value: 'z', gas: 'w' },
    })
    expect(many.metaMessages).toHaveLength(5)
    expect(many.metaMessages?.[0]).toMatch(/^origin: /)
    expect(many.metaMessages?.[1]).toMatch(/^method: /)
    expect(many.metaMessages?.[2]).toMatch(/^facts\.chainId: /)
    expect(refusal({ origin: 'x', facts: { kind: 'nope', chainId: 1 } }).metaMessages?.[0]).toMatch(
      /^facts\.kind: /,
    )
  })

  test('connect: the accounts offered, the first as the default choice', () => {
    const r = requestFromJson({
      origin: 'https://app.example',
      method: 'eth_requestAccounts',
      facts: { kind: 'connect', chainId: 1, accounts: [B.toLowerCase(), A] },
    })
    expect(r.kind).toBe('connect')
    expect(r.chainId).toBe(1)
    expect(r.choices).toEqual({ accounts: [B, A], defaults: [B] })
    refusal({ origin: 'x', facts: { kind: 'connect', chainId: 1, accounts: [] } })
  })

  test('message, typed data and chain facts keep what was given and fill the rest', () => {
    expect(
      requestFromJson({ origin: 'x', facts: { kind: 'message', chainId: 1, account: A, bytes: '0xAB' } })
        .facts,
    ).toEqual({ kind: 'message', chainId: 1, account: A, text: null, bytes: '0xab', siwe: null })
    expect(
      requestFromJson({
        origin: 'x',
        facts: { kind: 'typedData', chainId: 1, account: A, primaryType: 'Permit' },
      }).facts,
    ).toEqual({ kind: 'typedData', chainId: 1, account: A, primaryType: 'Permit', domain: {} })
    const typed = requestFromJson({
      origin: 'x',
      facts: {
        kind: 'typedData',
        chainId: 1,
        account: A,
        primaryType: 'Permit',
        domain: { name: 'USD', verifyingContract: TOKEN.toLowerCase() },
      },
    })
    expect(typed.facts).toMatchObject({ domain: { name: 'USD', verifyingContract: TOKEN } })
    const chain = requestFromJson({ origin: 'x', facts: { kind: 'chain', chainId: 1, targetChainId: 10 } })
    expect(chain.facts).toEqual({ kind: 'chain', chainId: 1, action: 'switch', targetChainId: 10 })
    expect(chain.kind).toBe('chain')
    expect(chain.choices).toBeUndefined()
  })

  test('a simulation: defaults, amounts as signed decimal strings, what the daemon would know', () => {
    const sim = (simulation: object) =>
      (
        requestFromJson(tx({ simulation })).facts as {
          simulation: NonNullable<
            Extract<ReturnType<typeof requestFromJson>['facts'], { kind: 'transaction' }>['simulation']
          >
        }
      ).simulation
    expect(sim({})).toEqual({
      status: 'success',
      by: 'eth_simulateV1',
      changesKnown: true,
      nativeChange: 0n,
      fee: null,
      gasUsed: null,
      calls: [],
      tokenChanges: [],
      approvals: [],
      contractsCreated: [],
      revert: null,
      newRecipients: [],
      notes: [],
    })
    const full = sim({
      status: 'reverted',
      by: 'debug_traceCall',
      nativeChange: '-12',
      tokenChanges: [
        { token: TOKEN.toLowerCase(), change: -3 },
        { token: TOKEN, standard: 'erc721', tokenId: '7', change: '1' },
      ],
      approvals: [
        { token: TOKEN, spender: B, amount: '100' },
        { token: TOKEN, spender: B },
        { token: TOKEN, spender: B, amount: (2n ** 255n).toString() },
        { token: TOKEN, spender: B, amount: (2n ** 255n - 1n).toString() },
      ],
    })
    expect(full.status).toBe('reverted')
    expect(full.changesKnown).toBe(true)
    expect(full.nativeChange).toBe(-12n)
    expect(full.tokenChanges).toEqual([
      { token: TOKEN, standard: 'erc20', tokenId: null, change: -3n, symbol: null, decimals: null },
      { token: TOKEN, standard: 'erc721', tokenId: 7n, change: 1n, symbol: null, decimals: null },
    ])
    const approval = (amount: bigint | null, unlimited: boolean) => ({
      token: TOKEN,
      spender: B,
      amount,
      standard: 'erc20',
      tokenId: null,
      forAll: false,
      unlimited,
      deadline: null,
      symbol: null,
      decimals: null,
    })
    expect(full.approvals).toEqual([
      approval(100n, false),
      approval(null, true),
      approval(2n ** 255n, true),
      approval(2n ** 255n - 1n, false),
    ])
    // What the daemon cannot see: no simulation, only eth_call, or nothing that simulated.
    expect(sim({ status: 'not-simulated' }).changesKnown).toBe(false)
    expect(sim({ by: 'eth_call' }).changesKnown).toBe(false)
    expect(sim({ by: null }).changesKnown).toBe(false)
    expect(sim({ by: 'debug_traceCall', nativeChange: null }).nativeChange).toBeNull()
    refusal(tx({ simulation: { nativeChange: '1.5' } }))
    refusal(tx({ simulation: { tokenChanges: [{ token: 'x', change: '1' }] } }))
  })
})
