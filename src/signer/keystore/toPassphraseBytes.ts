/**
 * Passphrase bytes as geth and foundry use them: the raw UTF-8 of the string, no normalisation.
 * Returns a fresh zero-initialised Buffer the caller wipes (a string cannot be wiped; avoid them).
 */
export function toPassphraseBytes(passphrase: Uint8Array | string): Buffer {
  if (typeof passphrase === 'string') {
    const out = Buffer.alloc(Buffer.byteLength(passphrase))
    out.write(passphrase)
    return out
  }
  const out = Buffer.alloc(passphrase.length)
  out.set(passphrase)
  return out
}
