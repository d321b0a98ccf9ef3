import { getAddress } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import { isEip55Address, zAddress } from './primitives.js'

const checksummed = getAddress('0x52908400098527886e0f7030069857d2e4169ee7')

describe('isEip55Address / zAddress', () => {
  it('accepts all-lowercase, all-uppercase and the exact checksum, and normalises each to the checksum', () => {
    for (const a of [checksummed.toLowerCase(), `0x${checksummed.slice(2).toUpperCase()}`, checksummed]) {
      expect(isEip55Address(a)).toBe(true)
      expect(zAddress.parse(a)).toBe(checksummed)
    }
    // Digits only: no letters, one "case".
    expect(isEip55Address(`0x${'1'.repeat(40)}`)).toBe(true)
  })

  it('refuses a mixed-case address whose checksum is wrong', () => {
    const wrong = checksummed.replace('E', 'e')
    expect(wrong).not.toBe(checksummed)
    expect(isEip55Address(wrong)).toBe(false)
    expect(zAddress.safeParse(wrong).success).toBe(false)
  })

  it('refuses wrong lengths, a missing or capital 0x prefix and non-hex digits', () => {
    for (const a of [
      checksummed.slice(0, 41),
      `${checksummed}0`,
      checksummed.slice(2),
      `0X${checksummed.slice(2)}`,
      `0x${'g'.repeat(40)}`,
      '',
    ])
      expect(isEip55Address(a)).toBe(false)
  })
})
