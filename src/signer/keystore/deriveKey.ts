import { pbkdf2, scrypt } from 'node:crypto'
import { scryptAsync } from '@noble/hashes/scrypt'
import { createKdfLimiter, type KdfLimiter } from './createKdfLimiter.js'
import type { ParsedKdf } from './parseKeystore.js'

/**
 * The process-wide KDF limiter. Module state on purpose (an exception to the factory rule): the
 * bound is about this process's memory, so every caller must share it. Tests may pass their own.
 */
export const sharedKdfLimiter: KdfLimiter = createKdfLimiter(2)

/** Bytes OpenSSL needs for scrypt(n, r, p), plus headroom; passed as `maxmem` (Node's default is 32 MiB). */
export function scryptMaxmem(n: number, r: number, p: number): number {
  return 128 * r * (n + p + 2) + 1024 * 1024
}

/**
 * RFC 7914 requires N < 2^(128·r/8); OpenSSL enforces it, geth and the v3 spec's own vector (r=1, N=2^18) do
 * not. (With n ≤ 2^20, only r = 1 can break it.)
 */
function opensslAccepts(n: number, r: number): boolean {
  return n < 2 ** (16 * r)
}

/**
 * Derives the 32-byte key with Node's async KDFs (libuv thread pool: the daemon keeps serving).
 * Parameters must already be bounded by `parseKeystore`/`checkScryptParams`. Returns a Buffer the
 * caller zeroes.
 */
export async function deriveKey(
  passphrase: Uint8Array,
  kdf: ParsedKdf,
  limiter: KdfLimiter = sharedKdfLimiter,
): Promise<Buffer> {
  return limiter.run(async () => {
    const out = Buffer.alloc(32)
    let dk: Uint8Array
    if (kdf.kind === 'pbkdf2') {
      dk = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(passphrase, kdf.salt, kdf.c, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
      )
    } else if (opensslAccepts(kdf.n, kdf.r)) {
      const { n, r, p } = kdf
      dk = await new Promise<Buffer>((resolve, reject) =>
        scrypt(passphrase, kdf.salt, 32, { N: n, r, p, maxmem: scryptMaxmem(n, r, p) }, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      )
    } else {
      // Only for import of legacy files like the spec vector; asyncTick yields to the event loop.
      dk = await scryptAsync(passphrase, kdf.salt, { N: kdf.n, r: kdf.r, p: kdf.p, dkLen: 32, asyncTick: 10 })
    }
    out.set(dk)
    dk.fill(0)
    return out
  })
}
