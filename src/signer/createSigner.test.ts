import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Hex, TransactionSerializable } from 'viem'
import { recoverMessageAddress, recoverTransactionAddress, recoverTypedDataAddress } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { hexToBytes, numberToHex, parseTransaction, serializeTransaction } from 'viem/utils'
import { afterAll, describe, expect, it } from 'vitest'
import { ANVIL_MNEMONIC } from '../dev/startAnvil.js'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import { createSigner, recoverTransactionSigner, type SerializeTransaction } from './createSigner.js'
import { deriveMnemonicKeys } from './deriveMnemonicKeys.js'
import type { SecpEngine } from './secp/types.js'
import type { Signer } from './types.js'

const FAULTY_SECP = fileURLToPath(new URL('../../test/fixtures/faultySecp.cjs', import.meta.url))
const { faultyEngine } = createRequire(import.meta.url)(FAULTY_SECP) as {
  faultyEngine: (fault: string) => SecpEngine
}
const FAULTS = ['flip-r', 'flip-s', 'recovery', 'high-s', 'other-key', 'short'] as const

const [k0, k1] = deriveMnemonicKeys(ANVIL_MNEMONIC, 2) as [Uint8Array, Uint8Array]
const a0 = privateKeyToAccount(bytesHex(k0))
const a1 = privateKeyToAccount(bytesHex(k1))

function bytesHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`
}

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

/** One transaction of every type walletd signs, nonce `i`. */
function transactions(i: number, to: Hex): TransactionSerializable[] {
  return [
    { type: 'legacy', chainId: 1, nonce: i, to, value: 1n, gas: 21000n, gasPrice: 7n },
    { type: 'eip2930', chainId: 10, nonce: i, to, value: 2n, gas: 30000n, gasPrice: 7n, accessList: [] },
    {
      type: 'eip2930',
      chainId: 10,
      nonce: i,
      to,
      gas: 30000n,
      gasPrice: 7n,
      accessList: [{ address: to, storageKeys: [numberToHex(i, { size: 32 })] }],
    },
    {
      type: 'eip1559',
      chainId: 31337,
      nonce: i,
      to,
      value: 3n,
      data: '0xa9059cbb',
      gas: 60000n,
      maxFeePerGas: 9n,
      maxPriorityFeePerGas: 1n,
    },
    // Contract creation: no `to`, the init code as data.
    {
      type: 'eip1559',
      chainId: 31337,
      nonce: i,
      data: '0x6000600055',
      gas: 90000n,
      maxFeePerGas: 9n,
      maxPriorityFeePerGas: 1n,
    },
    { type: 'legacy', chainId: 31337, nonce: i, data: '0x6000', gas: 90000n, gasPrice: 3n },
  ]
}

const signers: Signer[] = []
function make(...args: Parameters<typeof createSigner>) {
  const signer = createSigner(...args)
  signers.push(signer)
  return signer
}
afterAll(() => Promise.all(signers.map((s) => s.close())))

describe('createSigner', () => {
  const signer = make({ privateKeys: [k0, k1], workers: 0 })

  it('lists checksummed accounts and answers hasAccount in any case', () => {
    expect(signer.accounts()).toEqual([a0.address, a1.address])
    expect(signer.hasAccount(a0.address.toLowerCase() as never)).toBe(true)
    expect(signer.hasAccount('0x000000000000000000000000000000000000dEaD')).toBe(false)
  })

  it('keeps its own copy of the keys: zeroing the caller’s buffer changes nothing', async () => {
    const key = hexToBytes(generatePrivateKey())
    const account = privateKeyToAccount(bytesHex(key))
    const own = make({ privateKeys: [key], workers: 0 })
    key.fill(0)
    expect(await own.signMessage(account.address, { raw: '0x01' })).toBe(
      await account.signMessage({ message: { raw: '0x01' } }),
    )
  })

  describe.each([
    ['on the main thread', 0],
    ['with worker threads, many at once', 2],
  ])('signs exactly as viem local accounts do, for random keys, %s', (_, workers) => {
    const keys = Array.from({ length: 6 }, () => hexToBytes(generatePrivateKey()))
    const accounts = keys.map((k) => privateKeyToAccount(bytesHex(k)))
    const many = make({ privateKeys: keys, workers })

    it('messages', async () => {
      const jobs = accounts.flatMap((account, i) =>
        [numberToHex(i), '0x68656c6c6f', bytesHex(new Uint8Array(300).fill(i))].map(async (raw) => {
          const message = { raw: raw as Hex }
          const signature = await many.signMessage(account.address, message)
          expect(signature).toBe(await account.signMessage({ message }))
          expect(await recoverMessageAddress({ message, signature })).toBe(account.address)
        }),
      )
      await Promise.all(jobs)
    })

    it('typed data', async () => {
      await Promise.all(
        accounts.map(async (account, i) => {
          const data = { ...typedData, message: { ...typedData.message, name: `Bob #${i}` } }
          const signature = await many.signTypedData(account.address, data)
          expect(signature).toBe(await account.signTypedData(data))
          expect(await recoverTypedDataAddress({ ...data, signature })).toBe(account.address)
        }),
      )
    })

    it('transactions: legacy (EIP-155), EIP-2930, EIP-1559 and contract creations', async () => {
      await Promise.all(
        accounts.flatMap((account, i) =>
          transactions(i, a1.address).map(async (tx) => {
            const raw = await many.signTransaction(account.address, tx)
            expect(raw).toBe(await account.signTransaction(tx))
            expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(
              account.address,
            )
            expect(await recoverTransactionSigner(raw)).toBe(account.address)
          }),
        ),
      )
    })
  })

  it('signs legacy transactions whose r or s starts with a zero byte (the envelope drops it)', async () => {
    // Anvil account 1 on chain 1: nonce 122 gives an s, nonce 154 an r, with a leading zero byte;
    // the legacy envelope encodes them as integers, so they parse back shorter than 32 bytes.
    for (const nonce of [122, 154]) {
      const tx = {
        type: 'legacy',
        chainId: 1,
        nonce,
        to: a1.address,
        value: 1n,
        gas: 21000n,
        gasPrice: 7n,
      } as const
      const raw = await signer.signTransaction(a1.address, tx)
      expect(raw).toBe(await a1.signTransaction(tx))
      const { r, s } = parseTransaction(raw)
      expect(Math.min(r!.length, s!.length)).toBeLessThan(66)
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

  it('fails after close, and close zeroes nothing the caller holds', async () => {
    const key = hexToBytes(generatePrivateKey())
    const closing = createSigner({ privateKeys: [key], workers: 1 })
    const [address] = closing.accounts()
    await closing.signMessage(address!, { raw: '0x01' })
    await closing.close()
    await expect(closing.signMessage(address!, { raw: '0x01' })).rejects.toBeInstanceOf(InternalError)
    expect(key.some((b) => b !== 0)).toBe(true)
  })

  describe('never returns a tampered signature: a faulty engine gives an error', () => {
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

    async function expectRefused(bad: Signer) {
      await expect(bad.signMessage(a0.address, { raw: '0x01' })).rejects.toBeInstanceOf(InternalError)
      await expect(bad.signTypedData(a0.address, typedData)).rejects.toBeInstanceOf(InternalError)
      await expect(bad.signTransaction(a0.address, tx)).rejects.toBeInstanceOf(InternalError)
      // Many at once (batches: the main thread and the workers both sign), none gets through.
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) => bad.signMessage(a0.address, { raw: numberToHex(i) })),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toEqual([])
      for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InternalError)
    }

    it.each(FAULTS)('on the main thread: %s', async (fault) => {
      await expectRefused(
        make({ privateKeys: [k0], workers: 0, loadEngine: async () => faultyEngine(fault) }),
      )
    })

    it.each(FAULTS)('on the main thread and in the workers: %s', async (fault) => {
      await expectRefused(
        make({
          privateKeys: [k0],
          workers: 2,
          loadEngine: async () => faultyEngine(fault),
          workerEngine: { module: FAULTY_SECP, data: { fault } },
        }),
      )
    })

    it('signs after a good run, then still refuses when the engine turns faulty', async () => {
      let fault: string | null = null
      const real = (await import('tiny-secp256k1')) as SecpEngine
      const flaky: SecpEngine = {
        signRecoverable: (hash, key) =>
          fault ? faultyEngine(fault).signRecoverable(hash, key) : real.signRecoverable(hash, key),
        recover: (...args) => real.recover(...args),
      }
      const signer = make({ privateKeys: [k0], workers: 0, loadEngine: async () => flaky })
      for (let i = 0; i < 3; i++) {
        const message = { raw: numberToHex(i) }
        expect(await signer.signMessage(a0.address, message)).toBe(await a0.signMessage({ message }))
      }
      fault = 'recovery'
      await expect(signer.signMessage(a0.address, { raw: '0x02' })).rejects.toBeInstanceOf(InternalError)
      fault = 'flip-s'
      await expect(signer.signTransaction(a0.address, tx)).rejects.toBeInstanceOf(InternalError)
    })
  })
})

describe('createSigner: refusals say what and why', () => {
  const signer = make({ privateKeys: [k0, k1, k0], workers: 0 })
  const base = {
    type: 'eip1559',
    nonce: 0,
    to: a1.address,
    gas: 21000n,
    maxFeePerGas: 2n,
    maxPriorityFeePerGas: 1n,
  }

  it('holds a key given twice once', async () => {
    // Built inside the test: code run while tests are collected is not mutated by Stryker.
    const twice = make({ privateKeys: [k0, k1, k0, k1], workers: 0 })
    expect(twice.accounts()).toEqual([a0.address, a1.address])
    expect(twice.hasAccount(a1.address)).toBe(true)
    const message = { raw: '0x02' } as const
    expect(await twice.signMessage(a1.address, message)).toBe(await a1.signMessage({ message }))
  })

  it('names the account it does not hold', async () => {
    await expect(
      signer.signMessage('0x000000000000000000000000000000000000dEaD', { raw: '0x00' }),
    ).rejects.toThrow('The account 0x000000000000000000000000000000000000dEaD is not unlocked in walletd.')
  })

  it('refuses a chain id that is missing, zero, negative or not an integer; signs chain id 1', async () => {
    for (const chainId of [undefined, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
      await expect(
        signer.signTransaction(a0.address, { ...base, chainId } as TransactionSerializable),
        String(chainId),
      ).rejects.toThrow('Internal error: refusing to sign a transaction without a chain id (EIP-155).')
    }
    const tx = { ...base, chainId: 1 } as TransactionSerializable
    expect(await signer.signTransaction(a0.address, tx)).toBe(await a0.signTransaction(tx))
  })

  it('refuses an authorization list, but not a transaction that merely has the key unset', async () => {
    await expect(
      signer.signTransaction(a0.address, {
        ...base,
        type: 'eip7702',
        chainId: 1,
        authorizationList: [],
      } as never),
    ).rejects.toThrow('Internal error: refusing to sign an EIP-7702 authorization list.')
    const tx = { ...base, chainId: 1, authorizationList: undefined } as TransactionSerializable
    const { authorizationList: _unset, ...plain } = tx as TransactionSerializable & {
      authorizationList?: unknown
    }
    expect(await signer.signTransaction(a0.address, tx)).toBe(await a0.signTransaction(plain as never))
  })

  it('an engine failure is an InternalError that says which kind of signature failed', async () => {
    const bad = make({ privateKeys: [k0], workers: 0, loadEngine: async () => faultyEngine('flip-r') })
    const details = async (p: Promise<unknown>) => {
      const err = (await p.catch((e: unknown) => e)) as { shortMessage: string; details?: string }
      expect(err.shortMessage).toBe('Internal error: the signature did not verify; nothing was signed.')
      return String(err.details)
    }
    expect(await details(bad.signMessage(a0.address, { raw: '0x01' }))).toMatch(/^message: ./)
    expect(await details(bad.signTypedData(a0.address, typedData))).toMatch(/^typed data: ./)
    expect(await details(bad.signTransaction(a0.address, { ...base, chainId: 1 } as never))).toMatch(
      /^transaction: ./,
    )
  })

  it('recoverTransactionSigner refuses an unsigned transaction', async () => {
    const { serializeTransaction } = await import('viem/utils')
    const unsigned = serializeTransaction({ ...base, chainId: 1 } as TransactionSerializable)
    await expect(recoverTransactionSigner(unsigned)).rejects.toThrow('Internal error: unsigned transaction.')
  })
})

describe('createSigner: blob (EIP-4844) transactions, as viem signs them', () => {
  const signer = make({ privateKeys: [k0, k1], workers: 0 })
  const blob = {
    type: 'eip4844',
    chainId: 1,
    nonce: 3,
    to: a1.address,
    value: 5n,
    gas: 21000n,
    maxFeePerGas: 3n,
    maxPriorityFeePerGas: 1n,
    maxFeePerBlobGas: 2n,
    blobVersionedHashes: [`0x01${'22'.repeat(31)}`],
  } as const
  // The network form carries the blob, its commitment and proof (not checked by the encoder).
  const sidecars = [
    { blob: `0x${'11'.repeat(131072)}`, commitment: `0x${'33'.repeat(48)}`, proof: `0x${'44'.repeat(48)}` },
  ] as const

  it('without sidecars', async () => {
    const raw = await signer.signTransaction(a0.address, blob)
    expect(raw).toBe(await a0.signTransaction(blob))
    expect(await recoverTransactionSigner(raw)).toBe(a0.address)
  })

  it('with sidecars: signed over the payload without them, sent with them', async () => {
    const tx = { ...blob, sidecars } as unknown as TransactionSerializable
    const raw = await signer.signTransaction(a1.address, tx)
    expect(raw).toBe(await a1.signTransaction(tx as never))
    // The same signature as the transaction without its sidecars.
    const bare = parseTransaction(await signer.signTransaction(a1.address, blob))
    expect(parseTransaction(raw)).toMatchObject({ r: bare.r, s: bare.s, yParity: bare.yParity })
    expect(await recoverTransactionSigner(raw)).toBe(a1.address)
    expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(a1.address)
  })
})

describe('createSigner: a transaction without a type is signed as viem signs it (type from its fields)', () => {
  it.each([
    { chainId: 1, nonce: 2, to: a1.address, gas: 21000n, gasPrice: 7n },
    { chainId: 1, nonce: 2, to: a1.address, gas: 21000n, gasPrice: 7n, accessList: [] },
    { chainId: 5, nonce: 2, to: a1.address, gas: 21000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n },
  ] as TransactionSerializable[])('%o', async (tx) => {
    const signer = make({ privateKeys: [k0], workers: 0 })
    expect(await signer.signTransaction(a0.address, tx)).toBe(await a0.signTransaction(tx))
  })
})

describe('createSigner: a transaction without a nonce is signed as viem signs it', () => {
  const signer = make({ privateKeys: [k0], workers: 0 })
  it.each([
    { type: 'legacy', chainId: 1, to: a1.address, gas: 21000n, gasPrice: 7n },
    { type: 'eip1559', chainId: 5, to: a1.address, gas: 21000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n },
  ] as TransactionSerializable[])('$type', async (tx) => {
    expect(await signer.signTransaction(a0.address, tx)).toBe(await a0.signTransaction(tx))
  })
})

/**
 * The check after signing, against a serializer bug: the signed envelope parsed back must carry the
 * chain id, nonce and signature asked for, and be signed over its own hash. Each fault below is one
 * that only one part of that check catches.
 */
describe('createSigner: a serializer bug never leaves as a signed transaction', () => {
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
  const legacy = {
    type: 'legacy',
    chainId: 1,
    nonce: 7,
    to: a1.address,
    value: 1n,
    gas: 21000n,
    gasPrice: 7n,
  } as const
  const real = serializeTransaction as SerializeTransaction
  const flipLast = (h: Hex) => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}` as Hex

  /** viem's serializer with one fault, the same whether it encodes for signing or to send. */
  const faults: Record<string, SerializeTransaction> = {
    // Encodes another chain id, consistently: the envelope is validly signed, for the wrong chain.
    'chain id': (t, sig) =>
      real({ ...t, chainId: t.chainId === 31337 ? 31338 : t.chainId } as TransactionSerializable, sig),
    'chain id (legacy, in v)': (t, sig) =>
      real({ ...t, chainId: t.chainId === 1 ? 2 : t.chainId } as TransactionSerializable, sig),
    // Encodes another nonce, consistently.
    nonce: (t, sig) => real({ ...t, nonce: t.nonce === 7 ? 8 : t.nonce }, sig),
    // Damages the signature in the sent envelope.
    r: (t, sig) => real(t, sig && { ...sig, r: flipLast(sig.r) }),
    s: (t, sig) => real(t, sig && { ...sig, s: flipLast(sig.s) }),
    'y parity': (t, sig) =>
      real(t, sig && { ...sig, yParity: 1 - sig.yParity, v: sig.yParity === 1 ? 27n : 28n }),
    // Sends the envelope unsigned.
    'no signature': (t) => real(t),
    // Sends another payload under the signature (the value), chain id, nonce and signature intact.
    payload: (t, sig) => real(sig ? { ...t, value: (t.value ?? 0n) + 1n } : t, sig),
  }

  it.each(Object.keys(faults))('%s: refused with InternalError -32603, nothing returned', async (fault) => {
    const serialize = faults[fault]!
    const bad = make({ privateKeys: [k0], workers: 0, serializeTransaction: serialize })
    const request = fault.includes('legacy') ? legacy : tx
    const err = await bad.signTransaction(a0.address, request).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InternalError)
    expect(err).toMatchObject({
      code: -32603,
      shortMessage: 'Internal error: the signed transaction differs from the request; nothing was sent.',
    })
    // The faulty serializer alone is what the check refuses: the same signer signs messages.
    expect(await bad.signMessage(a0.address, { raw: '0x01' })).toBe(
      await a0.signMessage({ message: { raw: '0x01' } }),
    )
  })

  it('a serializer that is correct passes through the same path', async () => {
    const calls: { signed: boolean }[] = []
    const counting: SerializeTransaction = (t, sig) => {
      calls.push({ signed: sig !== undefined })
      return real(t, sig)
    }
    const ok = make({ privateKeys: [k0], workers: 0, serializeTransaction: counting })
    expect(await ok.signTransaction(a0.address, tx)).toBe(await a0.signTransaction(tx))
    expect(await ok.signTransaction(a0.address, legacy)).toBe(await a0.signTransaction(legacy))
    // Per transaction: the payload to sign, the signed envelope, the parsed one re-encoded unsigned.
    expect(calls).toEqual([
      { signed: false },
      { signed: true },
      { signed: false },
      { signed: false },
      { signed: true },
      { signed: false },
    ])
  })
})
