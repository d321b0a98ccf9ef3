import type { MethodDefinition } from '../types.js'
import { ethAccounts } from './eth_accounts.js'
import { ethChainId } from './eth_chainId.js'
import { ethCoinbase } from './eth_coinbase.js'
import { ethRequestAccounts } from './eth_requestAccounts.js'
import { netVersion } from './net_version.js'
import { forwardedMethods } from './passthrough.js'
import { signingMethods } from './signing.js'
import { subscriptionMethods } from './subscriptions.js'
import { walletAddEthereumChain } from './wallet_addEthereumChain.js'
import { walletGetCallsStatus } from './wallet_getCallsStatus.js'
import { walletGetCapabilities } from './wallet_getCapabilities.js'
import { walletGetPermissions } from './wallet_getPermissions.js'
import { walletRequestPermissions } from './wallet_requestPermissions.js'
import { walletRevokePermissions } from './wallet_revokePermissions.js'
import { walletSendCalls } from './wallet_sendCalls.js'
import { walletShowCallsStatus } from './wallet_showCallsStatus.js'
import { walletSwitchEthereumChain } from './wallet_switchEthereumChain.js'
import { walletWatchAsset } from './wallet_watchAsset.js'

/** Wallet-side methods, one module each. */
const walletMethods: readonly MethodDefinition[] = [
  ethChainId,
  netVersion,
  ethAccounts,
  ethCoinbase,
  ethRequestAccounts,
  walletGetPermissions,
  walletRequestPermissions,
  walletRevokePermissions,
  walletSwitchEthereumChain,
  walletAddEthereumChain,
  walletWatchAsset,
  // EIP-5792
  walletGetCapabilities,
  walletSendCalls,
  walletGetCallsStatus,
  walletShowCallsStatus,
]

/** The method table: a Map keyed by wire name. Anything not in it is refused. */
export function createMethodTable(
  extra: readonly MethodDefinition[] = [],
): ReadonlyMap<string, MethodDefinition> {
  const table = new Map<string, MethodDefinition>()
  for (const m of [
    ...forwardedMethods,
    ...walletMethods,
    ...signingMethods,
    ...subscriptionMethods,
    ...extra,
  ]) {
    if (table.has(m.method)) throw new Error(`method ${m.method} is defined twice`)
    table.set(m.method, m)
  }
  return table
}
