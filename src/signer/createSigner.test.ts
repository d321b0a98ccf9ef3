import { recoverTransactionAddress } from 'viem'
import { mnemonicToAccount, toAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { ANVIL_MNEMONIC } from '../dev/startAnvil.js'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import { createSigner, recoverTransactionSigner } from './createSigner.js'

const a0 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })
const a1 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 })

const typedData = {
  domain: {
    name: 'Mail',
    version: '1',
    chainId: 31337,
    verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
  },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
  },
  primaryType: 'Person',
  message: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
} as const

describe('createSigner', () => {
  const signer = createSigner({ accounts: [a0, a1] })

  it('lists checksummed accounts and answers hasAccount in any case', () => {
    expect(signer.accounts()).toEqual([a0.address, a1.address])
    expect(signer.hasAccount(a0.address.toLowerCase() as never)).toBe(true)
    expect(signer.hasAccount('0x000000000000000000000000000000000000dEaD')).toBe(false)
  })

  it('signs messages, typed data and transactions exactly as viem local accounts do', async () => {
    expect(await signer.signMessage(a1.address, { raw: '0x68656c6c6f' })).toBe(
      await a1.signMessage({ message: { raw: '0x68656c6c6f' } }),
    )
    expect(await signer.signTypedData(a0.address, typedData)).toBe(await a0.signTypedData(typedData))
    const tx = {
      type: 'eip1559',
      chainId: 31337,
      nonce: 3,
      to: a1.address,
      value: 5n,
      gas: 21000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    } as const
    const raw = await signer.signTransaction(a0.address, tx)
    expect(raw).toBe(await a0.signTransaction(tx))
    expect(await recoverTransactionSigner(raw)).toBe(a0.address)
  })

  it('recovers transaction signers like viem for legacy (EIP-155), 2930 and 1559 envelopes', async () => {
    for (const tx of [
      { type: 'legacy', chainId: 1, nonce: 0, to: a1.address, value: 1n, gas: 21000n, gasPrice: 7n },
      {
        type: 'eip2930',
        chainId: 10,
        nonce: 1,
        to: a1.address,
        value: 1n,
        gas: 21000n,
        gasPrice: 7n,
        accessList: [],
      },
      {
        type: 'eip1559',
        chainId: 31337,
        nonce: 2,
        data: '0x6000',
        gas: 60000n,
        maxFeePerGas: 9n,
        maxPriorityFeePerGas: 1n,
      },
    ] as const) {
      const raw = await signer.signTransaction(a1.address, tx)
      expect(await recoverTransactionSigner(raw)).toBe(
        await recoverTransactionAddress({ serializedTransaction: raw as never }),
      )
      expect(await recoverTransactionSigner(raw)).toBe(a1.address)
    }
  })

  it('refuses an account it does not hold with 4100', async () => {
    await expect(
      signer.signMessage('0x000000000000000000000000000000000000dEaD', { raw: '0x00' }),
    ).rejects.toBeInstanceOf(UnauthorizedError)
  })

  it('refuses transactions without a chain id and EIP-7702 authorization lists', async () => {
    await expect(
      signer.signTransaction(a0.address, {
        type: 'legacy',
        nonce: 0,
        to: a1.address,
        gas: 21000n,
        gasPrice: 1n,
      }),
    ).rejects.toBeInstanceOf(InternalError)
    await expect(
      signer.signTransaction(a0.address, {
        type: 'eip7702',
        chainId: 1,
        nonce: 0,
        to: a1.address,
        gas: 21000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
        authorizationList: [],
      } as never),
    ).rejects.toBeInstanceOf(InternalError)
  })

  it('never returns a signature that does not recover to the account (faulty key)', async () => {
    // An account that claims a0's address but signs with a1's key.
    const liar = toAccount({
      address: a0.address,
      signMessage: (args) => a1.signMessage(args),
      signTypedData: (args) => a1.signTypedData(args as never),
      signTransaction: (tx) => a1.signTransaction(tx),
    })
    const bad = createSigner({ accounts: [liar] })
    await expect(bad.signMessage(a0.address, { raw: '0x01' })).rejects.toBeInstanceOf(InternalError)
    await expect(bad.signTypedData(a0.address, typedData)).rejects.toBeInstanceOf(InternalError)
    await expect(
      bad.signTransaction(a0.address, {
        type: 'eip1559',
        chainId: 1,
        nonce: 0,
        to: a1.address,
        gas: 21000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
      }),
    ).rejects.toBeInstanceOf(InternalError)
  })

  it('refuses a signed transaction whose chain id or nonce differs from the request', async () => {
    const tampering = toAccount({
      address: a0.address,
      signMessage: (args) => a0.signMessage(args),
      signTypedData: (args) => a0.signTypedData(args as never),
      signTransaction: (tx) => a0.signTransaction({ ...tx, nonce: (tx.nonce ?? 0) + 1 } as never),
    })
    const bad = createSigner({ accounts: [tampering] })
    await expect(
      bad.signTransaction(a0.address, {
        type: 'eip1559',
        chainId: 1,
        nonce: 4,
        to: a1.address,
        gas: 21000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
      }),
    ).rejects.toBeInstanceOf(InternalError)
  })
})
