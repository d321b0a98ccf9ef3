import type { Address, Hex, LocalAccount, TransactionSerializable, TypedDataDefinition } from 'viem'
import {
  getAddress,
  keccak256,
  parseTransaction,
  recoverAddress,
  recoverMessageAddress,
  recoverTypedDataAddress,
  serializeTransaction,
} from 'viem/utils'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import type { Signer } from './types.js'

export type CreateSignerOptions = {
  /** viem local accounts (private key, mnemonic or keystore derived); the keys stay inside them. */
  accounts: readonly LocalAccount[]
}

/**
 * The signer over viem's local accounts. After every signature it recovers the signer from the
 * signature and the exact payload and compares it with the account: a mismatch (a fault, a wrong
 * key) throws InternalError and the signature never leaves. Refuses transactions without a chain
 * id (EIP-155 always) and EIP-7702 authorizations.
 */
export function createSigner({ accounts }: CreateSignerOptions): Signer {
  const byAddress = new Map<string, LocalAccount>()
  for (const account of accounts) {
    if (account.type !== 'local') throw new Error('createSigner: only local accounts can sign')
    byAddress.set(account.address.toLowerCase(), account)
  }
  const addresses = Object.freeze([...byAddress.values()].map((a) => getAddress(a.address)))

  function accountFor(address: Address): LocalAccount {
    const account = byAddress.get(address.toLowerCase())
    if (!account)
      throw new UnauthorizedError({ message: `The account ${address} is not unlocked in walletd.` })
    return account
  }

  function checkRecovered(kind: string, expected: Address, recovered: Address) {
    if (recovered.toLowerCase() !== expected.toLowerCase()) {
      throw new InternalError({
        message: 'Internal error: the signature did not verify; nothing was signed.',
        details: `${kind}: recovered signer differs from the signing account`,
      })
    }
  }

  return {
    accounts: () => addresses,
    hasAccount: (address) => byAddress.has(address.toLowerCase()),

    async signMessage(address, message: { raw: Hex }) {
      const account = accountFor(address)
      const signature = await account.signMessage({ message })
      checkRecovered('message', account.address, await recoverMessageAddress({ message, signature }))
      return signature
    },

    async signTypedData(address, typedData: TypedDataDefinition) {
      const account = accountFor(address)
      const signature = await account.signTypedData(typedData)
      checkRecovered(
        'typed data',
        account.address,
        await recoverTypedDataAddress({ ...(typedData as TypedDataDefinition), signature }),
      )
      return signature
    },

    async signTransaction(address, tx: TransactionSerializable) {
      const account = accountFor(address)
      if (typeof tx.chainId !== 'number' || !Number.isSafeInteger(tx.chainId) || tx.chainId <= 0) {
        throw new InternalError({
          message: 'Internal error: refusing to sign a transaction without a chain id (EIP-155).',
        })
      }
      if ('authorizationList' in tx && tx.authorizationList !== undefined) {
        throw new InternalError({
          message: 'Internal error: refusing to sign an EIP-7702 authorization list.',
        })
      }
      const serialized = await account.signTransaction(tx)
      checkRecovered('transaction', account.address, await recoverTransactionSigner(serialized))
      // The signed envelope must carry the chain id and the nonce that were asked for.
      const parsed = parseTransaction(serialized)
      if (parsed.chainId !== tx.chainId || (tx.nonce !== undefined && parsed.nonce !== tx.nonce)) {
        throw new InternalError({
          message: 'Internal error: the signed transaction differs from the request; nothing was sent.',
        })
      }
      return serialized
    },
  }
}

/** viem's `recoverTransactionAddress`, over `viem/utils` (the root import is slow to load). */
export async function recoverTransactionSigner(serializedTransaction: Hex): Promise<Address> {
  const transaction = parseTransaction(serializedTransaction)
  const { r, s, v, yParity } = transaction
  if (r === undefined || s === undefined)
    throw new InternalError({ message: 'Internal error: unsigned transaction.' })
  const unsigned = serializeTransaction({
    ...transaction,
    r: undefined,
    s: undefined,
    v: undefined,
    yParity: undefined,
  } as TransactionSerializable)
  return recoverAddress({ hash: keccak256(unsigned), signature: { r, s, v, yParity } as never })
}
