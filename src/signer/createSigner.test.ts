import { createRequire } from 'node:module'
import type { Hex, LocalAccount, TransactionSerializable } from 'viem'
import { recoverMessageAddress, recoverTransactionAddress, recoverTypedDataAddress } from 'viem'
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount, toAccount } from 'viem/accounts'
import { hashMessage, numberToHex, parseTransaction, serializeTransaction } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import { ANVIL_MNEMONIC } from '../dev/startAnvil.js'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import { createSigner, recoverTransactionSigner } from './createSigner.js'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

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

  it('checks with the secp256k1 module viem itself loads (no second implementation)', () => {
    const require = createRequire(import.meta.url)
    const fromViem = createRequire(require.resolve('viem')).resolve('@noble/curves/secp256k1')
    expect(require.resolve('@noble/curves/secp256k1')).toBe(fromViem)
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

  it('refuses a signed transaction whose chain id differs from the request (nonce unchanged)', async () => {
    // An account (a hardware wallet, a remote signer) that signs for another chain than asked:
    // the signature is valid, the nonce right, only the chain id is off.
    for (const type of ['eip1559', 'legacy'] as const) {
      const otherChain = toAccount({
        address: a0.address,
        signMessage: (args) => a0.signMessage(args),
        signTypedData: (args) => a0.signTypedData(args as never),
        signTransaction: (tx) => a0.signTransaction({ ...tx, chainId: (tx.chainId ?? 0) + 1 } as never),
      })
      const bad = createSigner({ accounts: [otherChain] })
      const request =
        type === 'eip1559'
          ? ({
              type,
              chainId: 31337,
              nonce: 4,
              to: a1.address,
              gas: 21000n,
              maxFeePerGas: 1n,
              maxPriorityFeePerGas: 1n,
            } as const)
          : ({ type, chainId: 31337, nonce: 4, to: a1.address, gas: 21000n, gasPrice: 1n } as const)
      await expect(bad.signTransaction(a0.address, request), type).rejects.toBeInstanceOf(InternalError)
      // The honest account signs the same request.
      const raw = await signer.signTransaction(a0.address, request)
      expect(parseTransaction(raw).chainId).toBe(31337)
    }
  })

  describe('refuses tampered signatures (the check uses the public key, not recovery)', () => {
    const tx = {
      type: 'eip1559',
      chainId: 31337,
      nonce: 7,
      to: a1.address,
      value: 1n,
      gas: 21000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    } as const

    /** Rewrites one hex digit near the end of r (offset 64) or s (offset 128) of a 65-byte signature. */
    const bump = (signature: Hex, at: 64 | 128): Hex =>
      `${signature.slice(0, at)}${signature[at] === '0' ? '1' : '0'}${signature.slice(at + 1)}` as Hex
    const withV = (signature: Hex, v: number): Hex =>
      `${signature.slice(0, 130)}${v.toString(16).padStart(2, '0')}` as Hex
    /** Re-serializes a signed transaction with its signature changed by `change`. */
    function resign(raw: Hex, change: (sig: { r: bigint; s: bigint; yParity: number }) => typeof sig) {
      const parsed = parseTransaction(raw)
      const sig = change({ r: BigInt(parsed.r!), s: BigInt(parsed.s!), yParity: parsed.yParity! })
      return serializeTransaction(
        {
          ...parsed,
          r: undefined,
          s: undefined,
          v: undefined,
          yParity: undefined,
        } as TransactionSerializable,
        {
          r: numberToHex(sig.r, { size: 32 }),
          s: numberToHex(sig.s, { size: 32 }),
          yParity: sig.yParity,
        },
      )
    }

    type Tamper = {
      sig: (signature: Hex) => Hex
      tx: (raw: Hex) => Hex
    }
    const tampers: Record<string, Tamper> = {
      'a changed r': { sig: (x) => bump(x, 64), tx: (raw) => resign(raw, (g) => ({ ...g, r: g.r ^ 1n })) },
      'a changed s': { sig: (x) => bump(x, 128), tx: (raw) => resign(raw, (g) => ({ ...g, s: g.s ^ 1n })) },
      'the other recovery bit (v)': {
        sig: (x) => withV(x, x.endsWith('1b') ? 28 : 27),
        tx: (raw) => resign(raw, (g) => ({ ...g, yParity: 1 - g.yParity })),
      },
      'v as 0/1 instead of 27/28': { sig: (x) => withV(x, x.endsWith('1b') ? 0 : 1), tx: (raw) => raw },
      'the high-s twin (recovers the same key, malleable)': {
        sig: (x) => {
          const s = N - BigInt(`0x${x.slice(66, 130)}`)
          return withV(
            `${x.slice(0, 66)}${s.toString(16).padStart(64, '0')}` as Hex,
            x.endsWith('1b') ? 28 : 27,
          )
        },
        tx: (raw) => resign(raw, (g) => ({ ...g, s: N - g.s, yParity: 1 - g.yParity })),
      },
    }

    /** a0 with viem's publicKey (the fast path from the first signature) or without it (learnt by recovery). */
    const variants: Record<string, (t: Tamper) => LocalAccount> = {
      'with publicKey': (t) => ({
        ...a0,
        signMessage: async (args) => t.sig(await a0.signMessage(args)),
        signTypedData: async (args) => t.sig(await a0.signTypedData(args as never)),
        signTransaction: async (args) => t.tx(await a0.signTransaction(args)),
      }),
      'without publicKey': (t) =>
        toAccount({
          address: a0.address,
          signMessage: async (args) => t.sig(await a0.signMessage(args)),
          signTypedData: async (args) => t.sig(await a0.signTypedData(args as never)),
          signTransaction: async (args) => t.tx(await a0.signTransaction(args)),
        }),
    }

    for (const [variant, make] of Object.entries(variants)) {
      for (const [name, tamper] of Object.entries(tampers)) {
        it(`${variant}: refuses ${name}`, async () => {
          const bad = createSigner({ accounts: [make(tamper)] })
          await expect(bad.signMessage(a0.address, { raw: '0x01' })).rejects.toBeInstanceOf(InternalError)
          await expect(bad.signTypedData(a0.address, typedData)).rejects.toBeInstanceOf(InternalError)
          if (name.startsWith('v as')) return // transactions carry yParity, not v
          await expect(bad.signTransaction(a0.address, tx)).rejects.toBeInstanceOf(InternalError)
        })
      }

      it(`${variant}: signs after the key is known, then still refuses a tampered one`, async () => {
        let tamper = false
        const honest: Tamper = { sig: (x) => x, tx: (raw) => raw }
        const flaky = make({
          sig: (x) => (tamper ? tampers['the other recovery bit (v)']!.sig(x) : honest.sig(x)),
          tx: (raw) => (tamper ? tampers['a changed s']!.tx(raw) : honest.tx(raw)),
        })
        const signer = createSigner({ accounts: [flaky] })
        for (let i = 0; i < 3; i++) {
          const message = { raw: numberToHex(i) }
          const signature = await signer.signMessage(a0.address, message)
          expect(await recoverMessageAddress({ message, signature })).toBe(a0.address)
        }
        const raw = await signer.signTransaction(a0.address, tx)
        expect(await recoverTransactionSigner(raw)).toBe(a0.address)
        tamper = true
        await expect(signer.signMessage(a0.address, { raw: '0x02' })).rejects.toBeInstanceOf(InternalError)
        await expect(signer.signTransaction(a0.address, tx)).rejects.toBeInstanceOf(InternalError)
      })
    }

    it('refuses another key, also when the account claims that key as its publicKey', async () => {
      // Signs with a1's key under a0's address, carrying a0's publicKey.
      const impostor: LocalAccount = {
        ...a0,
        signMessage: (args) => a1.signMessage(args),
        signTypedData: (args) => a1.signTypedData(args as never),
        signTransaction: (args) => a1.signTransaction(args),
      }
      // Signs with a1's key and claims a1's publicKey, under a0's address.
      const wrongKey: LocalAccount = { ...impostor, publicKey: a1.publicKey }
      for (const account of [impostor, wrongKey]) {
        const bad = createSigner({ accounts: [account] })
        await expect(bad.signMessage(a0.address, { raw: '0x01' })).rejects.toBeInstanceOf(InternalError)
        await expect(bad.signTypedData(a0.address, typedData)).rejects.toBeInstanceOf(InternalError)
        await expect(bad.signTransaction(a0.address, tx)).rejects.toBeInstanceOf(InternalError)
      }
    })

    it('accepts exactly what recovers to the account, for fresh random keys', async () => {
      for (let i = 0; i < 12; i++) {
        const account = privateKeyToAccount(generatePrivateKey())
        const signer = createSigner({ accounts: [account] })
        const message = { raw: numberToHex(BigInt(i) * 0x1234567n + 1n) }
        const signature = await signer.signMessage(account.address, message)
        expect(signature).toBe(await account.signMessage({ message }))
        expect(await recoverMessageAddress({ message, signature })).toBe(account.address)
        const typed = await signer.signTypedData(account.address, typedData)
        expect(await recoverTypedDataAddress({ ...typedData, signature: typed })).toBe(account.address)
        const raw = await signer.signTransaction(account.address, { ...tx, nonce: i })
        expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(account.address)
        expect(hashMessage(message)).toMatch(/^0x[0-9a-f]{64}$/)
      }
    })
  })
})
