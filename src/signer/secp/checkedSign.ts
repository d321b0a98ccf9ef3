import type { SecpEngine } from './types.js'

/**
 * Signs `hash` with `privateKey` and checks the signature before returning it: it must be low-s,
 * its recovery id 0 or 1, and recovering with that id must give exactly `publicKey` (65 bytes,
 * uncompressed), so `ecrecover(hash, v, r, s)` gives the account's address. Returns
 * `r ‖ s ‖ yParity` (65 bytes); throws when any check fails (the signature never leaves).
 *
 * Runs on the main thread and, as source text, in the signing workers (see `workerScript`): it
 * uses nothing but its arguments, and declares no inner function (a bundler may wrap those with
 * helpers that a worker does not have).
 */
export function checkedSign(
  secp: SecpEngine,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  hash: Uint8Array,
): Uint8Array {
  const { signature, recoveryId } = secp.signRecoverable(hash, privateKey)
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new Error('the engine returned a malformed signature')
  }
  if (recoveryId !== 0 && recoveryId !== 1) throw new Error('the recovery id is not 0 or 1')
  // s ≤ n/2 (n/2 = 7fffffff ffffffff ffffffff ffffffff 5d576e73 57a4501d dfe92f46 681b20a0), big-endian.
  const halfN = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d,
    0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
  ]
  let order = 0
  for (let i = 0; i < 32 && order === 0; i++) order = signature[32 + i]! - halfN[i]!
  if (order > 0) throw new Error('the signature is not low-s')
  const recovered = secp.recover(hash, signature, recoveryId, false)
  if (recovered?.length !== 65 || publicKey.length !== 65) {
    throw new Error('the signature recovers no public key')
  }
  let differs = 0
  for (let i = 0; i < 65; i++) differs |= recovered[i]! ^ publicKey[i]!
  if (differs !== 0) throw new Error('the signature does not recover to the account')
  const out = new Uint8Array(65)
  out.set(signature)
  out[64] = recoveryId
  return out
}
