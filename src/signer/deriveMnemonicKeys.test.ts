import { english, generateMnemonic, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../dev/startAnvil.js'
import { deriveMnemonicKeys } from './deriveMnemonicKeys.js'
import { addressOfPublicKey, publicKeyOf } from './keyAddress.js'

const hex = (key: Uint8Array) => `0x${Buffer.from(key).toString('hex')}` as const

describe('deriveMnemonicKeys', () => {
  test("gives Anvil's ten dev accounts exactly as viem's mnemonicToAccount does", () => {
    const keys = deriveMnemonicKeys(ANVIL_MNEMONIC, 10)
    expect(keys).toHaveLength(10)
    keys.forEach((key, i) => {
      const viem = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i })
      expect(hex(key)).toBe(hex(viem.getHdKey().privateKey!))
      expect(addressOfPublicKey(publicKeyOf(key))).toBe(viem.address)
      expect(privateKeyToAccount(hex(key)).address).toBe(viem.address)
    })
    expect(addressOfPublicKey(publicKeyOf(keys[0]!))).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
  })

  test('matches viem for random mnemonics, with and without a passphrase', () => {
    for (let round = 0; round < 4; round++) {
      const mnemonic = generateMnemonic(english)
      const passphrase = round % 2 ? `pass ${round}` : undefined
      const keys = deriveMnemonicKeys(mnemonic, 3, passphrase)
      keys.forEach((key, i) => {
        const viem = mnemonicToAccount(mnemonic, { addressIndex: i, passphrase })
        expect(addressOfPublicKey(publicKeyOf(key))).toBe(viem.address)
      })
    }
  })
})
