import { describe, expect, test } from 'vitest'
import { PolicySchema } from './policySchema.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const rule = { name: 'r', action: 'approve', chainIds: [1] }

describe('PolicySchema', () => {
  test('addresses in any case are accepted and checksummed; a non-address names the key', () => {
    const wrongChecksum = `0xF${A.slice(3)}`
    for (const a of [A.toLowerCase(), wrongChecksum])
      expect(
        PolicySchema.parse({ version: 1, rules: [{ ...rule, accounts: [a], to: [a] }] }).rules[0],
      ).toMatchObject({
        accounts: [A],
        to: [A],
      })
    const bad = PolicySchema.safeParse({ version: 1, rules: [{ ...rule, accounts: ['0x1234'] }] })
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({
        path: ['rules', 0, 'accounts', 0],
        message: 'expected a 0x-prefixed 20-byte address',
      }),
    ])
  })

  test('a duplicate rule name is an issue at the second rule, naming the name', () => {
    const parsed = PolicySchema.safeParse({ version: 1, rules: [rule, { ...rule, name: 'other' }, rule] })
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        code: 'custom',
        path: ['rules', 2, 'name'],
        message: 'duplicate rule name "r"',
      }),
    ])
  })
})
