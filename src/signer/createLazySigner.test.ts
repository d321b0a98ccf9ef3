import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../dev/startAnvil.js'
import { UnauthorizedError } from '../errors/rpc.js'
import { createLazySigner } from './createLazySigner.js'
import { createSigner } from './createSigner.js'
import { deriveMnemonicKeys } from './deriveMnemonicKeys.js'

const keys = deriveMnemonicKeys(ANVIL_MNEMONIC, 3)
const accounts = keys.map((k) => privateKeyToAccount(`0x${Buffer.from(k).toString('hex')}`))

describe('createLazySigner', () => {
  test('knows its accounts without loading the signer; loads it once, at the first signature', async () => {
    let loads = 0
    const signer = createLazySigner({
      privateKeys: keys,
      load: async () => {
        loads++
        return { createSigner: (options) => createSigner({ ...options, workers: 0 }) }
      },
    })
    expect(signer.accounts()).toEqual(accounts.map((a) => a.address))
    expect(signer.hasAccount(accounts[2]!.address.toLowerCase() as never)).toBe(true)
    await expect(
      signer.signMessage('0x000000000000000000000000000000000000dEaD', { raw: '0x01' }),
    ).rejects.toBeInstanceOf(UnauthorizedError)
    expect(loads).toBe(0)
    const [one, two] = await Promise.all([
      signer.signMessage(accounts[0]!.address, { raw: '0x01' }),
      signer.signMessage(accounts[1]!.address, { raw: '0x02' }),
    ])
    expect(one).toBe(await accounts[0]!.signMessage({ message: { raw: '0x01' } }))
    expect(two).toBe(await accounts[1]!.signMessage({ message: { raw: '0x02' } }))
    expect(loads).toBe(1)
    await signer.close()
    await expect(signer.signMessage(accounts[0]!.address, { raw: '0x01' })).rejects.toThrow()
  })

  test('keeps its own copy of the keys and zeroes it once the real signer has one', async () => {
    const mine = keys.map((k) => Uint8Array.from(k))
    let handed: readonly Uint8Array[] = []
    const signer = createLazySigner({
      privateKeys: mine,
      load: async () => ({
        createSigner: (options) => {
          handed = options.privateKeys
          return createSigner({ ...options, workers: 0 })
        },
      }),
    })
    for (const k of mine) k.fill(0) // the caller's buffers: the signer does not depend on them
    expect(signer.accounts()).toEqual(accounts.map((a) => a.address))
    await signer.signMessage(accounts[0]!.address, { raw: '0x01' })
    expect(handed.every((k) => k.every((b) => b === 0))).toBe(true)
    expect(await signer.signMessage(accounts[1]!.address, { raw: '0x03' })).toBe(
      await accounts[1]!.signMessage({ message: { raw: '0x03' } }),
    )
    await signer.close()
  })
})
