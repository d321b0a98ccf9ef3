import { describe, expect, it } from 'vitest'
import { compactAmount, compactTokenAmount, formatEtherAmount, formatTokenAmount } from './formatAmount.js'

describe('formatAmount', () => {
  it('ether and token amounts carry the raw value beside them', () => {
    expect(formatEtherAmount(1_500_000_000_000_000_000n)).toBe('1.5 ETH (1500000000000000000 wei)')
    expect(formatEtherAmount(0n)).toBe('0 ETH (0 wei)')
    expect(formatTokenAmount(1_234_500n, { symbol: 'USDC', decimals: 6 })).toBe(
      '1.2345 USDC (1234500 raw units)',
    )
    expect(formatTokenAmount(5n, { symbol: null, decimals: 0 })).toBe('5 (unknown symbol) (5 raw units)')
    expect(formatTokenAmount(5n, { symbol: 'X', decimals: null })).toBe(
      "5 raw units (the token's decimals could not be read)",
    )
  })

  it('compactAmount: exact when short, else rounded down with ≈', () => {
    expect(compactAmount(10n ** 18n, 18)).toBe('1')
    expect(compactAmount(1000n, 18)).toBe('0.000000000000001')
    expect(compactAmount(1n, 18)).toBe('0.000000000000000001')
    expect(compactAmount(1n, 19)).toBe('≈1e-19')
    expect(compactAmount(123_456_789_123_456_789_123n, 18)).toBe('≈123.456789123456789')
    expect(compactAmount(2n ** 256n - 1n, 18)).toBe('≈1.1579e+59')
    expect(compactAmount(2n ** 256n - 1n, 0)).toBe('≈1.1579e+77')
    expect(compactAmount(10n ** 30n, 0)).toBe('≈1e+30')
    expect(compactAmount(12_000_000_000_000_000_000_000n, 0, 20)).toBe('≈1.2e+22')
    for (const v of [1n, 7n * 10n ** 40n, 2n ** 200n + 12345n])
      for (const d of [0, 6, 18, 77]) expect(compactAmount(v, d).length).toBeLessThanOrEqual(20)
  })

  it('compactTokenAmount: with the symbol, raw units without decimals', () => {
    expect(compactTokenAmount(2_500_000n, { symbol: 'USDC', decimals: 6 })).toBe('2.5 USDC')
    expect(compactTokenAmount(2_500_000n, { symbol: null, decimals: 6 })).toBe('2.5 tokens')
    expect(compactTokenAmount(2_500_000n, { symbol: 'USDC', decimals: null })).toBe('2500000 raw units')
  })
})
