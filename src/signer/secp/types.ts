/**
 * The secp256k1 primitives walletd signs with: the subset of `tiny-secp256k1` (libsecp256k1
 * compiled to WebAssembly) it uses. Tests put a faulty one in its place to prove that a wrong
 * signature never leaves walletd.
 */
export interface SecpEngine {
  /** RFC 6979 deterministic, low-s: a 64-byte `r ‖ s` and the recovery id of R. */
  signRecoverable(hash: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number }
  /** The public key that `signature` with `recoveryId` recovers for `hash` (uncompressed when `compressed` is false). */
  recover(
    hash: Uint8Array,
    signature: Uint8Array,
    recoveryId: 0 | 1 | 2 | 3,
    compressed?: boolean,
  ): Uint8Array | null
}

/** Where a signing worker loads its engine from: a CommonJS module path and the `workerData` it gets. */
export type WorkerEngine = { module: string; data?: unknown }
