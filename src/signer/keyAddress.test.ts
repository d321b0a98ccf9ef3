import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { addressOfPublicKey, compressedPublicKeyOf, publicKeyOf } from './keyAddress.js'
import { privateKeyAddress } from './keystore/privateKeyAddress.js'

const KEY = Buffer.from('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'hex')
const account = privateKeyToAccount(`0x${KEY.toString('hex')}`)

describe('keyAddress', () => {
  test('public keys (uncompressed and compressed) and the checksummed address, as viem', () => {
    const publicKey = publicKeyOf(KEY)
    expect(Buffer.from(publicKey).toString('hex')).toBe(account.publicKey.slice(2))
    const compressed = compressedPublicKeyOf(KEY)
    expect(compressed).toHaveLength(33)
    expect(compressed[0]).toBe(publicKey[64]! % 2 === 0 ? 2 : 3)
    expect(Buffer.from(compressed.subarray(1)).equals(Buffer.from(publicKey.subarray(1, 33)))).toBe(true)
    expect(addressOfPublicKey(publicKey)).toBe(account.address)
  })

  test('refuses anything but a 65-byte key starting with 04', () => {
    const publicKey = publicKeyOf(KEY)
    expect(() => addressOfPublicKey(compressedPublicKeyOf(KEY))).toThrow(
      'expected an uncompressed public key',
    )
    expect(() => addressOfPublicKey(publicKey.subarray(0, 64))).toThrow('expected an uncompressed public key')
    const wrongPrefix = Uint8Array.from(publicKey)
    wrongPrefix[0] = 6
    expect(() => addressOfPublicKey(wrongPrefix)).toThrow('expected an uncompressed public key')
    const longer = new Uint8Array(66)
    longer.set(publicKey)
    expect(() => addressOfPublicKey(longer)).toThrow('expected an uncompressed public key')
  })

  test('refuses a private key outside [1, n-1]', () => {
    expect(() => publicKeyOf(new Uint8Array(32))).toThrow()
    expect(() => compressedPublicKeyOf(new Uint8Array(32).fill(0xff))).toThrow()
  })
})

describe('privateKeyAddress', () => {
  test('the checksummed address; refuses a key that is not 32 bytes or not a valid key, saying which', () => {
    expect(privateKeyAddress(KEY)).toBe(account.address)
    expect(() => privateKeyAddress(KEY.subarray(0, 31))).toThrow('A private key must be 32 bytes')
    expect(() => privateKeyAddress(Buffer.concat([KEY, Buffer.from([1])]))).toThrow(
      'A private key must be 32 bytes',
    )
    for (const bad of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      expect(() => privateKeyAddress(bad)).toThrow(
        'Not a valid secp256k1 private key (zero or not below the curve order)',
      )
    }
  })
})
