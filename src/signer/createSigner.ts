import { invert, mod } from '@noble/curves/abstract/modular'
import type { ProjPointType } from '@noble/curves/abstract/weierstrass'
import { secp256k1 } from '@noble/curves/secp256k1'
import type { Address, Hex, LocalAccount, TransactionSerializable, TypedDataDefinition } from 'viem'
import {
  bytesToHex,
  getAddress,
  hashMessage,
  hashTypedData,
  hexToBigInt,
  keccak256,
  parseTransaction,
  publicKeyToAddress,
  recoverAddress,
  serializeTransaction,
} from 'viem/utils'
import { InternalError, UnauthorizedError } from '../errors/rpc.js'
import type { Signer } from './types.js'

export type CreateSignerOptions = {
  /** viem local accounts (private key, mnemonic or keystore derived); the keys stay inside them. */
  accounts: readonly LocalAccount[]
}

type Point = ProjPointType<bigint>
type SignatureParts = { r: bigint; s: bigint; yParity: number }

const Point = secp256k1.ProjectivePoint
const N = secp256k1.CURVE.n
const HALF_N = N >> 1n
/**
 * Window of the per-account precomputed multiples (noble's `utils.precompute`): 8 is noble's own
 * choice for G; about 20–40 ms once per account at its first signature, then a multiplication
 * by the public key costs about a tenth of an unprepared one.
 */
const PUBLIC_KEY_WINDOW = 8

/**
 * The signer over viem's local accounts. Every signature is checked against the account's public
 * key before it leaves: it must verify for the exact payload hash, be low-s, and its recovery bit
 * must be the one that recovers the account (so `ecrecover(hash, v, r, s)` gives the address). A
 * failed check (a fault, a wrong key, a wrong v) throws InternalError and the signature never
 * leaves. Refuses transactions without a chain id (EIP-155 always) and EIP-7702 authorizations.
 *
 * The check uses the secp256k1 implementation viem ships (`@noble/curves`), with the public key
 * kept per account as a point with precomputed multiples: about a third of what recovering the
 * signer with viem costs (see `verifiesFor`).
 */
export function createSigner({ accounts }: CreateSignerOptions): Signer {
  const byAddress = new Map<string, LocalAccount>()
  for (const account of accounts) {
    if (account.type !== 'local') throw new Error('createSigner: only local accounts can sign')
    byAddress.set(account.address.toLowerCase(), account)
  }
  const addresses = Object.freeze([...byAddress.values()].map((a) => getAddress(a.address)))
  /** Public keys proven to be the account's (their address is the account's), with precomputes. */
  const publicKeys = new Map<LocalAccount, Point>()

  function accountFor(address: Address): LocalAccount {
    const account = byAddress.get(address.toLowerCase())
    if (!account)
      throw new UnauthorizedError({ message: `The account ${address} is not unlocked in walletd.` })
    return account
  }

  /**
   * The account's public key: viem's `publicKey` when the account has one, otherwise the key
   * recovered from its first signature. Either way it is kept only if it hashes to the account's
   * address, so a later signature that verifies against it is the account's.
   */
  function publicKeyOf(account: LocalAccount, hash: Hex, parts: SignatureParts): Point | null {
    const known = publicKeys.get(account)
    if (known) return known
    let point: Point
    try {
      const claimed = account.publicKey as Hex | undefined
      point =
        typeof claimed === 'string' && claimed.length > 2
          ? Point.fromHex(claimed.slice(2))
          : new secp256k1.Signature(parts.r, parts.s)
              .addRecoveryBit(parts.yParity)
              .recoverPublicKey(hash.slice(2))
    } catch {
      return null
    }
    const address = publicKeyToAddress(bytesToHex(point.toRawBytes(false)))
    if (address.toLowerCase() !== account.address.toLowerCase()) return null
    secp256k1.utils.precompute(PUBLIC_KEY_WINDOW, point)
    publicKeys.set(account, point)
    return point
  }

  function assertSignedBy(kind: string, account: LocalAccount, hash: Hex, parts: SignatureParts | null) {
    const publicKey = parts && publicKeyOf(account, hash, parts)
    if (!parts || !publicKey || !verifiesFor(publicKey, hash, parts)) {
      throw new InternalError({
        message: 'Internal error: the signature did not verify; nothing was signed.',
        details: `${kind}: the signature does not verify (with its recovery bit) for the signing account`,
      })
    }
  }

  return {
    accounts: () => addresses,
    hasAccount: (address) => byAddress.has(address.toLowerCase()),

    async signMessage(address, message: { raw: Hex }) {
      const account = accountFor(address)
      const signature = await account.signMessage({ message })
      assertSignedBy('message', account, hashMessage(message), splitSignature(signature))
      return signature
    },

    async signTypedData(address, typedData: TypedDataDefinition) {
      const account = accountFor(address)
      const signature = await account.signTypedData(typedData)
      assertSignedBy('typed data', account, hashTypedData(typedData), splitSignature(signature))
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
      const parsed = parseTransaction(serialized)
      const { r, s, yParity } = parsed
      assertSignedBy(
        'transaction',
        account,
        keccak256(unsignedSerialization(parsed)),
        r === undefined || s === undefined || (yParity !== 0 && yParity !== 1)
          ? null
          : { r: hexToBigInt(r), s: hexToBigInt(s), yParity },
      )
      // The signed envelope must carry the chain id and the nonce that were asked for.
      if (parsed.chainId !== tx.chainId || (tx.nonce !== undefined && parsed.nonce !== tx.nonce)) {
        throw new InternalError({
          message: 'Internal error: the signed transaction differs from the request; nothing was sent.',
        })
      }
      return serialized
    },
  }
}

/**
 * True when (r, s, yParity) is a low-s signature of `hash` by `publicKey` whose recovery bit
 * recovers `publicKey`. Q = u1·G + u2·Pub (u1 = h/s, u2 = r/s) is ECDSA verification's point;
 * requiring Q.x = r exactly (not only mod n) and Q.y's parity = yParity makes Q the R that
 * recovery rebuilds from (r, yParity), and recovery's r⁻¹(s·R − h·G) is then Pub. Both products
 * use noble's precomputed tables (G's built in, Pub's from `utils.precompute`); `multiply`, not
 * `multiplyUnsafe`, because noble 1.9's unsafe path is wrong for 256-bit scalars on a point with
 * precomputes (it expects the endomorphism-split half-size scalars).
 */
export function verifiesFor(publicKey: Point, hash: Hex, { r, s, yParity }: SignatureParts): boolean {
  if (r <= 0n || r >= N || s <= 0n || s > HALF_N || (yParity !== 0 && yParity !== 1)) return false
  const sInverse = invert(s, N)
  const u1 = mod(hexToBigInt(hash) * sInverse, N)
  const u2 = mod(r * sInverse, N)
  const q = u1 === 0n ? publicKey.multiply(u2) : Point.BASE.multiply(u1).add(publicKey.multiply(u2))
  if (q.equals(Point.ZERO)) return false
  const { x, y } = q.toAffine()
  return x === r && Number(y & 1n) === yParity
}

/** r, s and the parity of a 65-byte `r ‖ s ‖ v` signature with v 27 or 28 (viem's form); else null. */
function splitSignature(signature: Hex): SignatureParts | null {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return null
  const v = Number.parseInt(signature.slice(130), 16)
  if (v !== 27 && v !== 28) return null
  return {
    r: hexToBigInt(`0x${signature.slice(2, 66)}`),
    s: hexToBigInt(`0x${signature.slice(66, 130)}`),
    yParity: v - 27,
  }
}

function unsignedSerialization(transaction: TransactionSerializable): Hex {
  return serializeTransaction({
    ...transaction,
    r: undefined,
    s: undefined,
    v: undefined,
    yParity: undefined,
  } as TransactionSerializable)
}

/** viem's `recoverTransactionAddress`, over `viem/utils` (the root import is slow to load). */
export async function recoverTransactionSigner(serializedTransaction: Hex): Promise<Address> {
  const transaction = parseTransaction(serializedTransaction)
  const { r, s, v, yParity } = transaction
  if (r === undefined || s === undefined)
    throw new InternalError({ message: 'Internal error: unsigned transaction.' })
  return recoverAddress({
    hash: keccak256(unsignedSerialization(transaction)),
    signature: { r, s, v, yParity } as never,
  })
}
