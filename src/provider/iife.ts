import { installWalletdProvider } from './install.js'

/**
 * The injected script (provider-dist/walletd-provider.js): when the host set
 * `walletdProviderOptions` before it (`walletd provider` writes a file that does), it installs the
 * provider at once and removes the options from the page's global scope. The API stays reachable as
 * `WalletdProvider` (esbuild's global name) for hosts that install later.
 */
const g = globalThis as { walletdProviderOptions?: Parameters<typeof installWalletdProvider>[0] }
const options = g.walletdProviderOptions
if (options) {
  delete g.walletdProviderOptions
  installWalletdProvider(options)
}

export { announceProvider, createWalletdProvider, installWalletdProvider, ProviderRpcError } from './index.js'
