import { describe, expect, it } from 'vitest'
import { type CheckTransactionInput, checkTransaction, formatEth } from './checkTransaction.js'

const FROM = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

function base(
  over: Partial<CheckTransactionInput['tx']> = {},
  rest: Partial<CheckTransactionInput> = {},
): CheckTransactionInput {
  return {
    tx: {
      from: FROM,
      to: TO,
      value: 10n ** 18n,
      data: '0x',
      gas: 21_000n,
      chainId: 1,
      maxFeePerGas: 10n ** 9n,
      maxPriorityFeePerGas: 1n,
      ...over,
    },
    requested: {},
    activeChainId: 1,
    estimatedGas: 21_000n,
    pendingNonce: 4,
    balance: 10n ** 19n,
    ...rest,
  }
}
const levels = (input: CheckTransactionInput, opts = {}) =>
  checkTransaction(input, opts).map((w) => `${w.level}: ${w.message}`)

describe('checkTransaction', () => {
  it('a plain transfer has no warnings', () => {
    expect(checkTransaction(base())).toEqual([])
  })

  it('chain id mismatch is critical', () => {
    expect(levels(base({}, { requested: { chainId: 5 } }))).toEqual([
      expect.stringMatching(/^critical: .*chain 5.*active chain is 1/),
    ])
    expect(levels(base({ chainId: 5 }))).toEqual([expect.stringMatching(/^critical: /)])
  })

  it('data and input both set and different is critical; equal (any case) is fine', () => {
    expect(levels(base({}, { requested: { data: '0x01', input: '0x02' } }))).toEqual([
      expect.stringMatching(/^critical: .*"data" and "input"/),
    ])
    expect(levels(base({}, { requested: { data: '0xab', input: '0xAB' } }))).toEqual([])
  })

  it('contract creation without data is critical, and with value says the ether is lost', () => {
    expect(levels(base({ to: null, value: 0n }))).toEqual([expect.stringMatching(/^critical: .*empty code/)])
    expect(levels(base({ to: null, value: 1n }))).toEqual([
      expect.stringMatching(/^critical: .*ether would be lost/),
    ])
    expect(
      levels(base({ to: null, value: 0n, data: '0x6000', gas: 60_000n }, { estimatedGas: 60_000n })),
    ).toEqual([expect.stringMatching(/^warning: .*suspiciously small/)])
  })

  it('the zero address as recipient is critical', () => {
    expect(levels(base({ to: '0x0000000000000000000000000000000000000000' }))).toEqual([
      expect.stringMatching(/^critical: .*zero address/),
    ])
  })

  it('gas far above the estimate warns; a failed estimate warns', () => {
    expect(levels(base({ gas: 70_000n }))).toEqual([
      expect.stringMatching(/^warning: .*far above the estimate/),
    ])
    expect(levels(base({ gas: 60_000n }))).toEqual([])
    expect(levels(base({}, { estimatedGas: null }))).toEqual([
      expect.stringMatching(/^warning: .*could not be estimated/),
    ])
  })

  it('a fee above the cap warns (cap is a parameter)', () => {
    const pricey = base({ gas: 21_000n, maxFeePerGas: 10n ** 13n }) // 0.21 ETH
    expect(levels(pricey)).toEqual([expect.stringMatching(/^warning: .*0\.21 ETH.*cap of 0\.1 ETH/)])
    expect(levels(pricey, { maxFeeWei: 10n ** 18n })).toEqual([])
    expect(levels(base({ maxFeePerGas: undefined, gasPrice: 10n ** 13n }))).toHaveLength(1)
  })

  it('a custom nonce with a gap, or already used, warns', () => {
    expect(levels(base({}, { requested: { nonce: 9 } }))).toEqual([
      expect.stringMatching(/^warning: .*nonce 9 leaves a gap.*next nonce is 4/),
    ])
    expect(levels(base({}, { requested: { nonce: 2 } }))).toEqual([
      expect.stringMatching(/^warning: .*already used/),
    ])
    expect(levels(base({}, { requested: { nonce: 4 } }))).toEqual([])
  })

  it('insufficient balance for value plus the maximum fee warns', () => {
    expect(levels(base({}, { balance: 10n ** 18n }))).toEqual([
      expect.stringMatching(/^warning: Insufficient balance/),
    ])
  })

  it('formatEth is exact', () => {
    expect(formatEth(0n)).toBe('0')
    expect(formatEth(1n)).toBe('0.000000000000000001')
    expect(formatEth(1_500_000_000_000_000_000n)).toBe('1.5')
  })
})
