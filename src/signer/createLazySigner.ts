import type { Address } from 'viem'
import { UnauthorizedError } from '../errors/rpc.js'
import type { CreateSignerOptions } from './createSigner.js'
import { addressOfPublicKey, publicKeyOf } from './keyAddress.js'
import type { Signer } from './types.js'

export type CreateLazySignerOptions = {
  /** 32-byte private keys; copied (the caller zeroes its own). */
  privateKeys: readonly Uint8Array[]
  /** Loads the real signer's module (default: `./createSigner.js`, imported on first use). */
  load?: () => Promise<{ createSigner: (options: CreateSignerOptions) => Signer }>
}

/**
 * A signer whose signing code loads on the first signature: viem's message, typed-data and
 * transaction encoders, the WebAssembly engine and its workers are not loaded at start-up. The
 * accounts are known before (their addresses computed on first asked, from the keys). At the
 * first signature it builds the real signer (`createSigner`) from its copy of the keys, then zeroes
 * that copy; everything after goes to the real signer. Used for dev mode's Anvil accounts.
 */
export function createLazySigner({
  privateKeys,
  load = () => import('./createSigner.js'),
}: CreateLazySignerOptions): Signer {
  const keys = privateKeys.map((key) => Uint8Array.from(key))
  let addresses: readonly Address[] | null = null
  let known: Set<string> | null = null
  let real: Promise<Signer> | null = null
  let closed = false

  function accounts(): readonly Address[] {
    if (!addresses) {
      const unique = [...new Set(keys.map((key) => addressOfPublicKey(publicKeyOf(key))))]
      addresses = Object.freeze(unique)
      known = new Set(unique.map((a) => a.toLowerCase()))
    }
    return addresses
  }

  function hasAccount(address: Address): boolean {
    accounts()
    return known!.has(address.toLowerCase())
  }

  function signer(address: Address): Promise<Signer> {
    if (!hasAccount(address)) {
      return Promise.reject(
        new UnauthorizedError({ message: `The account ${address} is not unlocked in walletd.` }),
      )
    }
    real ??= load().then(({ createSigner }) => {
      if (closed) throw new Error('the signer is closed')
      try {
        return createSigner({ privateKeys: keys })
      } finally {
        for (const key of keys) key.fill(0)
      }
    })
    return real
  }

  return {
    accounts,
    hasAccount,
    signMessage: async (address, message) => (await signer(address)).signMessage(address, message),
    signTypedData: async (address, data) => (await signer(address)).signTypedData(address, data),
    signTransaction: async (address, tx) => (await signer(address)).signTransaction(address, tx),
    async close() {
      closed = true
      for (const key of keys) key.fill(0)
      const loaded = await real?.catch(() => undefined)
      await loaded?.close()
    },
  }
}
