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

  test('hasAccount first (before accounts), duplicates once, refuses others by name', async () => {
    const signer = createLazySigner({
      privateKeys: [keys[1]!, keys[0]!, keys[1]!],
      load: async () => ({ createSigner: (options) => createSigner({ ...options, workers: 0 }) }),
    })
    expect(signer.hasAccount(accounts[1]!.address)).toBe(true)
    expect(signer.hasAccount(accounts[2]!.address)).toBe(false)
    expect(signer.accounts()).toEqual([accounts[1]!.address, accounts[0]!.address])
    expect(Object.isFrozen(signer.accounts())).toBe(true)
    await expect(signer.signTransaction(accounts[2]!.address, {} as never)).rejects.toThrow(
      `The account ${accounts[2]!.address} is not unlocked in walletd.`,
    )
    await signer.close()
  })

  test('typed data and transactions go to the real signer, as viem signs them', async () => {
    const signer = createLazySigner({
      privateKeys: keys,
      load: async () => ({ createSigner: (options) => createSigner({ ...options, workers: 0 }) }),
    })
    const typedData = {
      domain: { name: 'Lazy', version: '1', chainId: 1 },
      types: { Note: [{ name: 'text', type: 'string' }] },
      primaryType: 'Note',
      message: { text: 'hi' },
    } as const
    const tx = {
      type: 'eip1559',
      chainId: 1,
      nonce: 4,
      to: accounts[0]!.address,
      gas: 21000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    } as const
    const a = accounts[2]!
    expect(await signer.signTypedData(a.address, typedData)).toBe(await a.signTypedData(typedData))
    expect(await signer.signTransaction(a.address, tx)).toBe(await a.signTransaction(tx))
    await signer.close()
  })

  test('closed while the signer loads: no signer is built, the keys are zeroed, signing fails', async () => {
    const mine = keys.map((k) => Uint8Array.from(k))
    let built = 0
    let finishLoad!: () => void
    const loaded = new Promise<void>((resolve) => {
      finishLoad = resolve
    })
    let copies: Uint8Array[] = []
    const signer = createLazySigner({
      privateKeys: mine,
      load: async () => {
        await loaded
        return {
          createSigner: (options) => {
            built++
            copies = [...options.privateKeys]
            return createSigner({ ...options, workers: 0 })
          },
        }
      },
    })
    const signing = signer.signMessage(accounts[0]!.address, { raw: '0x01' })
    const closing = signer.close()
    finishLoad()
    await expect(signing).rejects.toThrow('the signer is closed')
    await closing
    expect(built).toBe(0)
    expect(copies).toEqual([])
    // The caller's buffers are its own: untouched.
    expect(mine.every((k) => k.some((b) => b !== 0))).toBe(true)
  })

  test('close zeroes the copy and closes the real signer once built; never loads when unused', async () => {
    let loads = 0
    let closed = 0
    let handed: readonly Uint8Array[] = []
    const unused = createLazySigner({
      privateKeys: keys,
      load: async () => {
        loads++
        return { createSigner }
      },
    })
    await unused.close()
    expect(loads).toBe(0)
    const used = createLazySigner({
      privateKeys: keys,
      load: async () => ({
        createSigner: (options) => {
          const real = createSigner({ ...options, workers: 0 })
          handed = options.privateKeys
          return {
            ...real,
            close: async () => {
              closed++
              await real.close()
            },
          }
        },
      }),
    })
    // Before the first signature: the copy is still whole; close zeroes it.
    await used.signMessage(accounts[0]!.address, { raw: '0x01' })
    await used.close()
    expect(closed).toBe(1)
    expect(handed.every((k) => k.every((b) => b === 0))).toBe(true)
  })

  test('a loader that fails: signing fails, close still resolves', async () => {
    const signer = createLazySigner({
      privateKeys: keys,
      load: async () => {
        throw new Error('cannot load')
      },
    })
    await expect(signer.signMessage(accounts[0]!.address, { raw: '0x01' })).rejects.toThrow('cannot load')
    await expect(signer.close()).resolves.toBeUndefined()
  })

  test('by default loads createSigner itself', async () => {
    const signer = createLazySigner({ privateKeys: keys })
    const message = { raw: '0x0a' } as const
    expect(await signer.signMessage(accounts[2]!.address, message)).toBe(
      await accounts[2]!.signMessage({ message }),
    )
    await signer.close()
  })
})
