import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { lstatSync, readFileSync } from 'node:fs'
import { IdentityKeyError, InsecurePermissionsError } from '../../errors/startup.js'
import { writeFileAtomic } from '../../util/writeFileAtomic.js'

/** The daemon's identity: an ECDSA P-256 key used for nothing but handshake transcripts. */
export type IdentityKey = {
  /** JOSE name of the signature scheme: ECDSA over P-256 with SHA-256. */
  readonly alg: 'ES256'
  /** The public key: the uncompressed point (65 bytes), base64url. What hosts inject into pages. */
  readonly publicKey: string
  /** Signs a transcript: the 64-byte r‖s form WebCrypto verifies (IEEE P1363), base64url. */
  sign(transcript: string): string
}

/** The raw uncompressed P-256 point of a public key, base64url. */
export function publicKeyOf(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as { x: string; y: string }
  const x = Buffer.from(jwk.x, 'base64url')
  const y = Buffer.from(jwk.y, 'base64url')
  return Buffer.concat([Buffer.from([4]), x, y]).toString('base64url')
}

export function identityFromKey(privateKey: KeyObject): IdentityKey {
  return {
    alg: 'ES256',
    publicKey: publicKeyOf(privateKey),
    sign: (transcript) =>
      sign('sha256', Buffer.from(transcript, 'utf8'), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url'),
  }
}

/**
 * Loads the identity key from `file` (PKCS#8 PEM, 0600), or creates it once when the file does not
 * exist. P-256 rather than Ed25519: WebCrypto verifies ECDSA P-256 in every engine a webview host
 * ships, Ed25519 only in recent ones. A looser file or a symlink is refused; a file that is not a
 * P-256 private key is an error, never silently replaced (hosts hold the public key).
 */
export function loadIdentityKey(file: string): IdentityKey {
  let st: import('node:fs').Stats | undefined
  try {
    st = lstatSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (!st) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    writeFileAtomic(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)
    return identityFromKey(privateKey)
  }
  if (st.isSymbolicLink() || !st.isFile()) {
    throw new InsecurePermissionsError(
      `The identity key ${file} is not a regular file (a symlink?); remove it.`,
    )
  }
  if ((st.mode & 0o077) !== 0) {
    throw new InsecurePermissionsError(
      `The identity key ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}.`,
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new IdentityKeyError(`The identity key ${file} cannot be read as a private key.`, { cause })
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new IdentityKeyError(`The identity key ${file} is not a P-256 key.`)
  }
  return identityFromKey(key)
}
