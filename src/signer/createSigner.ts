import type { Address, Hex, TransactionSerializable, TypedDataDefinition } from 'viem'
import {
  bytesToHex,
  hashMessage,
  hashTypedData,
  hexToBigInt,
  hexToBytes,
  keccak256,
  parseTransaction,
  recoverAddress,
  serializeTransaction,
} from 'viem/utils'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import { addressOfPublicKey, publicKeyOf } from './keyAddress.js'
import { type CreateSecpPoolOptions, createSecpPool } from './secp/createSecpPool.js'
import type { Signer } from './types.js'

export type CreateSignerOptions = {
  /**
   * 32-byte private keys (keystore, mnemonic or dev keys). The signer keeps its own copies (zeroed
   * on `close`); the caller zeroes the buffers it passed.
   */
  privateKeys: readonly Uint8Array[]
  /**
   * The transaction envelope encoder. Default: viem's `serializeTransaction`. Tests put a faulty
   * one in its place to prove that the check after signing catches a serializer bug.
   */
  serializeTransaction?: SerializeTransaction
} & Pick<CreateSecpPoolOptions, 'loadEngine' | 'workers' | 'workerEngine'>

/** viem's `serializeTransaction` as the signer calls it: unsigned, or with a signature. */
export type SerializeTransaction = (
  tx: TransactionSerializable,
  signature?: { r: Hex; s: Hex; v?: bigint; yParity: number },
) => Hex

/**
 * The signer: viem hashes and encodes (EIP-191 messages, EIP-712 typed data, transaction
 * envelopes), libsecp256k1 compiled to WebAssembly signs (`createSecpPool`: the main thread for a
 * lone signature, worker threads when several wait). Signatures are byte-identical to viem's local
 * accounts (RFC 6979, low-s).
 *
 * Every signature is checked before it leaves (`checkedSign`): low-s, and recovering it with its
 * recovery bit must give the account's public key — computed at start by OpenSSL, not by the engine
 * that signs — so `ecrecover(hash, v, r, s)` gives the address. A failed check throws
 * InternalError and nothing is returned. A signed transaction is parsed back and must carry the
 * chain id and nonce asked for, its signature made over its own signing hash. Refuses transactions
 * without a chain id (EIP-155 always) and EIP-7702 authorizations.
 */
export function createSigner({
  privateKeys,
  serializeTransaction: serialize = serializeTransaction as SerializeTransaction,
  ...engine
}: CreateSignerOptions): Signer {
  const slots = new Map<string, number>()
  const addresses: Address[] = []
  const keys: Uint8Array[] = []
  const publicKeys: Uint8Array[] = []
  for (const key of privateKeys) {
    const publicKey = publicKeyOf(key)
    const address = addressOfPublicKey(publicKey)
    if (slots.has(address.toLowerCase())) continue
    slots.set(address.toLowerCase(), addresses.length)
    addresses.push(address)
    keys.push(key)
    publicKeys.push(publicKey)
  }
  const pool = createSecpPool({ privateKeys: keys, publicKeys, ...engine })
  const frozen = Object.freeze([...addresses])

  function slotOf(address: Address): number {
    const slot = slots.get(address.toLowerCase())
    if (slot === undefined)
      throw new UnauthorizedError({ message: `The account ${address} is not unlocked in walletd.` })
    return slot
  }

  /** r, s (hex, 32 bytes each) and yParity of `hash` signed by `slot`; InternalError when the check fails. */
  async function signHash(kind: string, slot: number, hash: Hex) {
    let signature: Uint8Array
    try {
      signature = await pool.sign(slot, hexToBytes(hash))
    } catch (err) {
      throw new InternalError({
        message: 'Internal error: the signature did not verify; nothing was signed.',
        details: `${kind}: ${err instanceof Error ? err.message : String(err)}`,
      })
    }
    const yParity = signature[64]!
    // viem's signature object (`v` 27/28; legacy envelopes turn it into EIP-155's v).
    return {
      r: bytesToHex(signature.subarray(0, 32)),
      s: bytesToHex(signature.subarray(32, 64)),
      v: yParity === 1 ? 28n : 27n,
      yParity,
    }
  }

  /** viem's 65-byte signature form: r ‖ s ‖ v with v 27 or 28. */
  function toHexSignature({ r, s, yParity }: { r: Hex; s: Hex; yParity: number }): Hex {
    return `${r}${s.slice(2)}${yParity === 1 ? '1c' : '1b'}` as Hex
  }

  return {
    accounts: () => frozen,
    hasAccount: (address) => slots.has(address.toLowerCase()),

    async signMessage(address, message: { raw: Hex }) {
      const slot = slotOf(address)
      return toHexSignature(await signHash('message', slot, hashMessage(message)))
    },

    async signTypedData(address, typedData: TypedDataDefinition) {
      const slot = slotOf(address)
      return toHexSignature(await signHash('typed data', slot, hashTypedData(typedData)))
    },

    async signTransaction(address, tx: TransactionSerializable) {
      const slot = slotOf(address)
      if (!Number.isSafeInteger(tx.chainId) || (tx.chainId ?? 0) <= 0) {
        throw new InternalError({
          message: 'Internal error: refusing to sign a transaction without a chain id (EIP-155).',
        })
      }
      if ('authorizationList' in tx && tx.authorizationList !== undefined) {
        throw new InternalError({
          message: 'Internal error: refusing to sign an EIP-7702 authorization list.',
        })
      }
      // As viem's signTransaction: blob transactions are signed without their sidecars.
      const signable = tx.type === 'eip4844' ? ({ ...tx, sidecars: false } as TransactionSerializable) : tx
      const hash = keccak256(serialize(signable))
      const signature = await signHash('transaction', slot, hash)
      const serialized = serialize(tx, signature)
      // The signed envelope must carry the chain id and nonce asked for, and be signed over itself.
      const parsed = parseTransaction(serialized)
      if (
        parsed.chainId !== tx.chainId ||
        (tx.nonce !== undefined && parsed.nonce !== tx.nonce) ||
        !sameNumber(parsed.r, signature.r) ||
        !sameNumber(parsed.s, signature.s) ||
        parsed.yParity !== signature.yParity ||
        keccak256(unsignedSerialization(parsed, serialize)) !== hash
      ) {
        throw new InternalError({
          message: 'Internal error: the signed transaction differs from the request; nothing was sent.',
        })
      }
      return serialized
    },

    close: () => pool.close(),
  }
}

/** A signature part parsed back (absent when unsigned; without its leading zero bytes in a legacy envelope) equals the one signed. */
function sameNumber(parsed: Hex | undefined, signed: Hex): boolean {
  return parsed !== undefined && hexToBigInt(parsed) === hexToBigInt(signed)
}

/** The envelope that was signed: no signature and, as viem's, a blob transaction without its sidecars. */
function unsignedSerialization(
  transaction: TransactionSerializable,
  serialize = serializeTransaction as SerializeTransaction,
): Hex {
  return serialize({
    ...transaction,
    r: undefined,
    s: undefined,
    v: undefined,
    yParity: undefined,
    sidecars: false,
  } as TransactionSerializable)
}

/** viem's `recoverTransactionAddress`, over `viem/utils` (the root import is slow to load). */
export async function recoverTransactionSigner(serializedTransaction: Hex): Promise<Address> {
  const transaction = parseTransaction(serializedTransaction)
  const { r, s, v, yParity } = transaction
  // (parseTransaction gives r and s together, or neither)
  if (r === undefined) throw new InternalError({ message: 'Internal error: unsigned transaction.' })
  return recoverAddress({
    hash: keccak256(unsignedSerialization(transaction)),
    signature: { r, s, v, yParity } as never,
  })
}
