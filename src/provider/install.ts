import { announceProvider, type ProviderInfo, walletdInfo } from './announce.js'
import {
  createWalletdProvider,
  type WalletdProvider,
  type WalletdProviderOptions,
} from './createWalletdProvider.js'

export type InstallOptions = WalletdProviderOptions & {
  /** Also set `window.ethereum`, when no other provider holds it. Default false. */
  windowEthereum?: boolean
  /** EIP-6963 info overrides (name, icon, rdns). */
  info?: Partial<Omit<ProviderInfo, 'uuid'>>
}

/**
 * What a host injects: a walletd provider, announced with EIP-6963, and set as `window.ethereum`
 * only when asked and only when that is free (another wallet keeps it). Returns the provider.
 */
export function installWalletdProvider(options: InstallOptions): WalletdProvider {
  const provider = createWalletdProvider(options)
  announceProvider(walletdInfo(options.info), provider)
  const w = globalThis as unknown as { ethereum?: unknown; dispatchEvent(e: Event): boolean }
  if (options.windowEthereum && w.ethereum === undefined) {
    w.ethereum = provider
    w.dispatchEvent(new Event('ethereum#initialized'))
  }
  return provider
}
