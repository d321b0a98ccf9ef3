import type { Address } from 'viem'
import { describe, expect, it } from 'vitest'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import { parseTypedData } from '../schemas/typedData.js'
import {
  describePermit,
  PERMIT2_ADDRESS,
  type PermitTemplate,
  permitTokens,
  recognizePermit,
} from './decodePermit.js'

const TOKEN: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const OTHER: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const SPENDER: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const OWNER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const NOW_MS = 1_700_000_000_000
const now = () => NOW_MS
const SOON = String(1_700_000_000 + 3600)
const MAX160 = (2n ** 160n - 1n).toString()
const MAX256 = (2n ** 256n - 1n).toString()
const MAX48 = (2n ** 48n - 1n).toString()

const info = (address: Address, symbol: string, decimals: number): TokenInfo => ({
  chainId: 31337,
  address,
  hasCode: true,
  decimals,
  symbol,
  name: `${symbol} token`,
  erc721: false,
  erc1155: false,
  complete: true,
})
const tokens = new Map([
  [TOKEN.toLowerCase(), info(TOKEN, 'USDC', 6)],
  [OTHER.toLowerCase(), info(OTHER, 'WETH', 18)],
])
const domainTypes = [
  { name: 'name', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
]
const permit2Domain = { name: 'Permit2', chainId: 31337, verifyingContract: PERMIT2_ADDRESS }
const details = [
  { name: 'token', type: 'address' },
  { name: 'amount', type: 'uint160' },
  { name: 'expiration', type: 'uint48' },
  { name: 'nonce', type: 'uint48' },
]
const tokenPermissions = [
  { name: 'token', type: 'address' },
  { name: 'amount', type: 'uint256' },
]

/** Parses like eth_signTypedData_v4 does, then returns the recognised template. */
const parse = (typedData: object) => parseTypedData(typedData, 'v4', { now })

const eip2612 = (value: string, deadline = SOON) => ({
  types: {
    EIP712Domain: [{ name: 'version', type: 'string' }, ...domainTypes],
    Permit: [
      { name: 'owner', type: 'address' },
      { name: 'spender', type: 'address' },
      { name: 'value', type: 'uint256' },
      { name: 'nonce', type: 'uint256' },
      { name: 'deadline', type: 'uint256' },
    ],
  },
  primaryType: 'Permit',
  domain: { name: 'USD Coin', version: '2', chainId: 31337, verifyingContract: TOKEN },
  message: { owner: OWNER, spender: SPENDER, value, nonce: '0', deadline },
})

const permitSingle = (amount: string, expiration = SOON, sigDeadline = SOON) => ({
  types: {
    EIP712Domain: domainTypes,
    PermitSingle: [
      { name: 'details', type: 'PermitDetails' },
      { name: 'spender', type: 'address' },
      { name: 'sigDeadline', type: 'uint256' },
    ],
    PermitDetails: details,
  },
  primaryType: 'PermitSingle',
  domain: permit2Domain,
  message: { details: { token: TOKEN, amount, expiration, nonce: '0' }, spender: SPENDER, sigDeadline },
})

const permitBatch = () => ({
  types: {
    EIP712Domain: domainTypes,
    PermitBatch: [
      { name: 'details', type: 'PermitDetails[]' },
      { name: 'spender', type: 'address' },
      { name: 'sigDeadline', type: 'uint256' },
    ],
    PermitDetails: details,
  },
  primaryType: 'PermitBatch',
  domain: permit2Domain,
  message: {
    details: [
      { token: TOKEN, amount: '5000000', expiration: SOON, nonce: '1' },
      { token: OTHER, amount: MAX160, expiration: SOON, nonce: '2' },
    ],
    spender: SPENDER,
    sigDeadline: SOON,
  },
})

const transferFrom = (batch: boolean, witness = false) => {
  const primaryType = `Permit${batch ? 'Batch' : ''}${witness ? 'Witness' : ''}TransferFrom`
  return {
    types: {
      EIP712Domain: domainTypes,
      [primaryType]: [
        { name: 'permitted', type: batch ? 'TokenPermissions[]' : 'TokenPermissions' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
        ...(witness ? [{ name: 'witness', type: 'Order' }] : []),
      ],
      TokenPermissions: tokenPermissions,
      ...(witness ? { Order: [{ name: 'minOut', type: 'uint256' }] } : {}),
    },
    primaryType,
    domain: permit2Domain,
    message: {
      permitted: batch
        ? [
            { token: TOKEN, amount: '1000000' },
            { token: OTHER, amount: '1' },
          ]
        : { token: OTHER, amount: '2500000000000000000' },
      spender: SPENDER,
      nonce: '7',
      deadline: SOON,
      ...(witness ? { witness: { minOut: '1' } } : {}),
    },
  }
}

const describe_ = (t: PermitTemplate, spenderHasCode: boolean | null = true) =>
  describePermit(t, { tokens, spenderHasCode, now })
const line = (d: { display: readonly { label: string; value: string }[] }, label: string) =>
  d.display.find((l) => l.label === label)?.value

describe('recognizePermit (through parseTypedData)', () => {
  it('EIP-2612 Permit: the token is the verifying contract; no generic warnings', () => {
    const parsed = parse(eip2612('1000000'))
    expect(parsed.permit).toEqual({
      standard: 'erc2612',
      primaryType: 'Permit',
      token: TOKEN,
      owner: OWNER,
      spender: SPENDER,
      value: 1_000_000n,
      nonce: 0n,
      deadline: BigInt(SOON),
    })
    expect(parsed.warnings).toEqual([])
  })

  it('Permit2 PermitSingle, PermitBatch, PermitTransferFrom, PermitBatchTransferFrom, witness', () => {
    expect(parse(permitSingle('100')).permit).toMatchObject({
      standard: 'permit2',
      kind: 'allowance',
      primaryType: 'PermitSingle',
      verifyingContract: PERMIT2_ADDRESS,
      details: [{ token: TOKEN, amount: 100n, expiration: BigInt(SOON), nonce: 0n }],
    })
    expect(parse(permitBatch()).permit).toMatchObject({ primaryType: 'PermitBatch', details: [{}, {}] })
    expect(parse(transferFrom(false)).permit).toMatchObject({
      kind: 'transfer',
      permitted: [{ token: OTHER, amount: 2_500_000_000_000_000_000n }],
      nonce: 7n,
      witness: false,
    })
    expect(parse(transferFrom(true)).permit).toMatchObject({ primaryType: 'PermitBatchTransferFrom' })
    expect(parse(transferFrom(false, true)).permit).toMatchObject({
      primaryType: 'PermitWitnessTransferFrom',
      witness: true,
    })
  })

  it('other shapes are not recognised and keep the generic permit warnings (DAI permit)', () => {
    const dai = {
      types: {
        EIP712Domain: domainTypes,
        Permit: [
          { name: 'holder', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'nonce', type: 'uint256' },
          { name: 'expiry', type: 'uint256' },
          { name: 'allowed', type: 'bool' },
        ],
      },
      primaryType: 'Permit',
      domain: { name: 'Dai', chainId: 31337, verifyingContract: TOKEN },
      message: { holder: OWNER, spender: SPENDER, nonce: '0', expiry: '0', allowed: true },
    }
    const parsed = parse(dai)
    expect(parsed.permit).toBeNull()
    expect(parsed.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/UNLIMITED amount/),
      expect.stringMatching(/more than a year/),
    ])
    // A renamed field is another shape.
    const renamed = permitSingle('1')
    renamed.types.PermitDetails = [...details.slice(0, 3), { name: 'nonce2', type: 'uint48' }]
    renamed.message.details = { ...renamed.message.details, nonce2: '0' } as never
    expect(parse(renamed).permit).toBeNull()
    expect(recognizePermit('Permit', { Permit: [] }, {}, {})).toBeNull()
  })
})

describe('describePermit', () => {
  it('EIP-2612: amount in the token units, the generic warning for a bounded permit', () => {
    const d = describe_(parse(eip2612('1500000')).permit!)
    expect(d.summary).toBe(`Sign a permit: ${SPENDER} may spend 1.5 USDC`)
    expect(line(d, 'allowance')).toBe('1.5 USDC (1500000 raw units)')
    expect(line(d, 'token')).toBe(`USDC token (USDC) at ${TOKEN}, 6 decimals`)
    expect(d.warnings.map((w) => w.message)).toEqual([
      `Token permit (Permit): signing lets ${SPENDER} move your tokens without another prompt.`,
    ])
    expect(d.risks).toEqual([])
  })

  it('EIP-2612 unlimited and forever, to a spender without code', () => {
    const d = describe_(parse(eip2612(MAX256, '99999999999')).permit!, false)
    expect(d.summary).toBe(`Sign a permit: ${SPENDER} may spend UNLIMITED USDC`)
    expect(d.risks).toEqual(['unlimited-allowance', 'far-deadline', 'spender-without-code'])
    expect(d.warnings[0]!.message).toMatch(/UNLIMITED amount: 0x3C44.* could spend ALL your USDC/)
  })

  it('Permit2 PermitSingle: uint160 max is unlimited; max uint48 expiration is never', () => {
    const d = describe_(parse(permitSingle(MAX160, MAX48)).permit!)
    expect(d.summary).toBe(`Sign Permit2: ${SPENDER} may spend UNLIMITED USDC`)
    expect(line(d, 'allowance')).toBe(`UNLIMITED (${MAX160} raw units)`)
    expect(line(d, 'allowance expires')).toBe('never')
    expect(line(d, 'Permit2 contract')).toBe(`${PERMIT2_ADDRESS} (the canonical Permit2)`)
    expect(d.risks).toEqual(['unlimited-allowance', 'far-deadline'])
    const bounded = describe_(parse(permitSingle('250000000')).permit!)
    expect(bounded.summary).toBe(`Sign Permit2: ${SPENDER} may spend 250 USDC`)
    expect(bounded.risks).toEqual([])
  })

  it('Permit2 PermitBatch lists each token', () => {
    const d = describe_(parse(permitBatch()).permit!)
    expect(d.summary).toBe(`Sign Permit2: ${SPENDER} may spend 2 tokens`)
    expect(line(d, 'allowance 1')).toBe('5 USDC (5000000 raw units)')
    expect(line(d, 'allowance 2')).toBe(`UNLIMITED (${MAX160} raw units)`)
    expect(d.warnings[0]!.message).toMatch(/could spend ALL your WETH/)
  })

  it('Permit2 transfers (single, batch, witness) and a non-canonical Permit2', () => {
    const single = describe_(parse(transferFrom(false)).permit!)
    expect(single.summary).toBe(`Sign Permit2 transfer: ${SPENDER} may take 2.5 WETH`)
    expect(line(single, 'amount')).toBe('2.5 WETH (2500000000000000000 raw units)')
    const batch = describe_(parse(transferFrom(true)).permit!)
    expect(batch.summary).toBe(`Sign Permit2 transfer: ${SPENDER} may take 2 tokens`)
    expect(line(batch, 'amount 1')).toBe('1 USDC (1000000 raw units)')
    const witness = describe_(parse(transferFrom(false, true)).permit!)
    expect(line(witness, 'witness')).toMatch(/extra data is signed too/)
    const fake = parse({ ...permitSingle('1'), domain: { ...permit2Domain, verifyingContract: OTHER } })
    expect(line(describe_(fake.permit!), 'Permit2 contract')).toMatch(/NOT the canonical Permit2/)
  })

  it('without token metadata: raw units', () => {
    const d = describePermit(parse(eip2612('1500000')).permit!, { tokens: new Map(), now })
    expect(line(d, 'allowance')).toBe("1500000 raw units (the token's decimals could not be read)")
    expect(line(d, 'token')).toBe(`${TOKEN} (token metadata could not be read)`)
    expect(d.summary).toBe(`Sign a permit: ${SPENDER} may spend 1500000 raw units`)
  })

  it('permitTokens', () => {
    expect(permitTokens(parse(permitBatch()).permit!)).toEqual([TOKEN, OTHER])
    expect(permitTokens(parse(eip2612('1')).permit!)).toEqual([TOKEN])
  })
})
