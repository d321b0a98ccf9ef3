import { KeystoreError } from '../../errors/startup.js'

/** Upper bounds on KDF parameters read from a file, checked before any work (security.md §4.1). */
export const KDF_LIMITS = {
  scryptMaxN: 2 ** 20,
  scryptMaxR: 16,
  scryptMaxP: 16,
  /** 128·N·r·p, the scrypt memory/work product. */
  scryptMaxWork: 2 ** 30,
  pbkdf2MaxC: 10_000_000,
  maxSaltBytes: 1024,
} as const

export type ScryptParams = { n: number; r: number; p: number }

export type ParsedKdf =
  | ({ kind: 'scrypt'; salt: Buffer } & ScryptParams)
  | { kind: 'pbkdf2'; salt: Buffer; c: number }

/** A keystore v3 file after validation: every field checked, nothing decrypted. */
export type ParsedKeystore = {
  /** `0x`-prefixed lowercase address from the file, when present (unverified until decryption). */
  address: `0x${string}` | undefined
  id: string | undefined
  kdf: ParsedKdf
  iv: Buffer
  ciphertext: Buffer
  mac: Buffer
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function refuse(reason: string): never {
  throw new KeystoreError(`Refusing keystore: ${reason}`)
}

function hexField(obj: Record<string, unknown>, key: string, where: string): Buffer {
  const v = obj[key]
  if (typeof v !== 'string') refuse(`${where}.${key} must be a hex string`)
  const hex = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) refuse(`${where}.${key} is not valid hex`)
  return Buffer.from(hex, 'hex')
}

function intField(
  obj: Record<string, unknown>,
  key: string,
  where: string,
  min: number,
  max: number,
): number {
  const v = obj[key]
  if (!Number.isSafeInteger(v)) refuse(`${where}.${key} must be an integer`)
  const n = v as number
  if (n < min || n > max) refuse(`${where}.${key} = ${n} is outside the allowed range ${min}..${max}`)
  return n
}

function isPowerOfTwo(n: number): boolean {
  return n >= 2 && Number.isSafeInteger(n) && (n & (n - 1)) === 0
}

/** Checks scrypt parameters against {@link KDF_LIMITS}; throws a {@link KeystoreError} naming the bound. */
export function checkScryptParams({ n, r, p }: ScryptParams): void {
  if (!Number.isSafeInteger(n) || !isPowerOfTwo(n) || n > KDF_LIMITS.scryptMaxN) {
    refuse(`scrypt n = ${n} must be a power of two between 2 and 2^20`)
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > KDF_LIMITS.scryptMaxR) refuse(`scrypt r = ${r} must be 1..16`)
  if (!Number.isSafeInteger(p) || p < 1 || p > KDF_LIMITS.scryptMaxP) refuse(`scrypt p = ${p} must be 1..16`)
  if (128 * n * r * p > KDF_LIMITS.scryptMaxWork) {
    refuse(`scrypt 128·n·r·p = ${128 * n * r * p} bytes exceeds the 1 GiB bound`)
  }
}

/**
 * Validates an untrusted Web3 Secret Storage v3 document (object or JSON text) and bounds its KDF
 * parameters. Does no key derivation: a hostile file costs nothing here.
 */
export function parseKeystore(json: unknown): ParsedKeystore {
  let doc = json
  if (typeof doc === 'string' || doc instanceof Uint8Array) {
    if (doc.length > 64 * 1024) refuse('file larger than 64 KiB')
    try {
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: a string and its UTF-8 bytes parse the same
      doc = JSON.parse(typeof doc === 'string' ? doc : Buffer.from(doc).toString('utf8'))
    } catch {
      refuse('not valid JSON')
    }
  }
  if (!isObject(doc)) refuse('not a JSON object')
  if (doc.version !== 3) refuse(`version must be 3 (got ${JSON.stringify(doc.version) ?? 'none'})`)
  const crypto = doc.crypto ?? doc.Crypto
  if (!isObject(crypto)) refuse('missing "crypto" object')

  if (crypto.cipher !== 'aes-128-ctr') {
    refuse(`cipher ${JSON.stringify(crypto.cipher)} is not supported (only aes-128-ctr)`)
  }
  if (!isObject(crypto.cipherparams)) refuse('missing crypto.cipherparams')
  const iv = hexField(crypto.cipherparams, 'iv', 'crypto.cipherparams')
  if (iv.length !== 16) refuse(`iv must be 16 bytes (got ${iv.length})`)
  const ciphertext = hexField(crypto, 'ciphertext', 'crypto')
  if (ciphertext.length !== 32) refuse(`ciphertext must be 32 bytes (got ${ciphertext.length})`)
  const mac = hexField(crypto, 'mac', 'crypto')
  if (mac.length !== 32) refuse(`mac must be 32 bytes (got ${mac.length})`)

  const params = crypto.kdfparams
  if (!isObject(params)) refuse('missing crypto.kdfparams')
  if (params.dklen !== 32) refuse(`kdfparams.dklen must be 32 (got ${JSON.stringify(params.dklen)})`)
  const salt = hexField(params, 'salt', 'crypto.kdfparams')
  if (salt.length < 1 || salt.length > KDF_LIMITS.maxSaltBytes) refuse('kdfparams.salt must be 1..1024 bytes')

  let kdf: ParsedKdf
  if (crypto.kdf === 'scrypt') {
    const n = intField(params, 'n', 'kdfparams', 2, KDF_LIMITS.scryptMaxN)
    const r = intField(params, 'r', 'kdfparams', 1, KDF_LIMITS.scryptMaxR)
    const p = intField(params, 'p', 'kdfparams', 1, KDF_LIMITS.scryptMaxP)
    checkScryptParams({ n, r, p })
    kdf = { kind: 'scrypt', salt, n, r, p }
  } else if (crypto.kdf === 'pbkdf2') {
    if (params.prf !== 'hmac-sha256') refuse(`pbkdf2 prf ${JSON.stringify(params.prf)} is not supported`)
    const c = intField(params, 'c', 'kdfparams', 1, KDF_LIMITS.pbkdf2MaxC)
    kdf = { kind: 'pbkdf2', salt, c }
  } else {
    refuse(`kdf ${JSON.stringify(crypto.kdf)} is not supported (scrypt or pbkdf2)`)
  }

  let address: `0x${string}` | undefined
  if (doc.address !== undefined) {
    if (typeof doc.address !== 'string') refuse('address must be a string')
    // Stryker disable next-line Regex: hex has no "x" but the prefix's
    const a = doc.address.toLowerCase().replace(/^0x/, '')
    if (!/^[0-9a-f]{40}$/.test(a)) refuse('address is not 20 bytes of hex')
    address = `0x${a}`
  }
  const id = typeof doc.id === 'string' ? doc.id : undefined
  return { address, id, kdf, iv, ciphertext, mac }
}
