import type { HDAccount } from 'viem/accounts'

/** The private key of a viem HD account (test accounts derived from Anvil's mnemonic), for createSigner. */
export function privateKeyOf(account: HDAccount): Uint8Array {
  const key = account.getHdKey().privateKey
  if (!key) throw new Error('the HD account has no private key')
  return Uint8Array.from(key)
}
