import { keccak256 } from 'viem/utils'

/** keccak256(dk[16:32] ‖ ciphertext), the Web3 Secret Storage MAC. */
export function keystoreMac(derivedKey: Uint8Array, ciphertext: Uint8Array): Buffer {
  const input = Buffer.alloc(16 + ciphertext.length)
  try {
    input.set(derivedKey.subarray(16, 32), 0)
    input.set(ciphertext, 16)
    return Buffer.from(keccak256(input, 'bytes'))
  } finally {
    input.fill(0)
  }
}
