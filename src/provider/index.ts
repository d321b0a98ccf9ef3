// biome-ignore-all lint/performance/noBarrelFile: the provider package entry point
/**
 * walletd's provider (`walletd/provider`): an EIP-1193 provider for pages (and for Node, with a
 * WebSocket that sets the Origin header), EIP-6963 announcement, and the native side of the host
 * bridge.
 */
export { announceProvider, type ProviderInfo, uuidV4, walletdInfo } from './announce.js'
export { type BridgeRelayOptions, createBridgeRelay } from './createBridgeRelay.js'
export type { ConnectionStatus, SessionState } from './createConnection.js'
export {
  createWalletdProvider,
  type RequestArguments,
  type WalletdProvider,
  type WalletdProviderOptions,
} from './createWalletdProvider.js'
export { IDENTITY_MISMATCH, ProviderRpcError } from './errors.js'
export { WALLETD_ICON } from './icon.js'
export { type InstallOptions, installWalletdProvider } from './install.js'
export type { BridgeMessage, HostBridge } from './links/bridgeLink.js'
export type { EventSourceLike } from './links/httpLink.js'
export type { CreateSocket, SocketLike, TransportName } from './links/types.js'
