import { getAddress } from 'viem/utils'
import { WrongPassphraseError } from '../errors/startup.js'
import { decryptKeystore } from './keystore/decryptKeystore.js'
import { fixedPassphrase, type PassphraseSource } from './keystore/getPassphrase.js'
import { listKeystoreFiles, readPrivateFile } from './keystore/keystoreDir.js'
import { parseKeystore } from './keystore/parseKeystore.js'
import { privateKeyAddress } from './keystore/privateKeyAddress.js'
import type { UnlockedAccount } from './unlockAccounts.js'

/**
 * What `walletd start` checks before it listens: the keystore directory's permissions, the
 * password file (or `WALLETD_PASSWORD`) when one is given, and that it decrypts the first
 * keystore. Throws the same errors the unlock would (exit 8), before any port is bound. Returns
 * the first account so the unlock after listening does not decrypt it again; null when there is
 * nothing to check (no keystore, or a passphrase that only the keychain or a prompt can give).
 */
export async function unlockFirstAccount({
  keystoreDir,
  passphraseSource,
  warn,
}: {
  keystoreDir: string
  passphraseSource: Pick<PassphraseSource, 'passwordFile' | 'env'>
  warn?: (message: string) => void
}): Promise<{ file: string; account: UnlockedAccount } | null> {
  const files = listKeystoreFiles(keystoreDir)
  const fixed = fixedPassphrase(passphraseSource, warn)
  if (!fixed) return null
  try {
    const file = files[0]
    if (!file) return null
    const raw = readPrivateFile(file)
    const address = parseKeystore(raw).address
    let key: Uint8Array
    try {
      key = await decryptKeystore(raw, fixed.passphrase, {})
    } catch (err) {
      if (err instanceof WrongPassphraseError)
        throw new WrongPassphraseError(
          `Could not decrypt ${address ? `${getAddress(address)} (${file})` : file} with the passphrase from ${fixed.source}: wrong passphrase or corrupted file`,
        )
      throw err
    }
    // The key bytes go to the unlock after listening, which hands them to the signer and zeroes them.
    return { file, account: { address: privateKeyAddress(key), privateKey: key } }
  } finally {
    fixed.passphrase.fill(0)
  }
}
