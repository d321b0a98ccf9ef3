import type { Logger } from 'pino'
import type { ApprovalBroker } from '../approval/createApprovalBroker.js'
import type { Policy } from '../approval/policy/policySchema.js'
import type { WatchedAssetStore } from '../assets/createWatchedAssetStore.js'
import type { AuditSink } from '../audit/types.js'
import type { Config } from '../config/schema.js'
import type { Metrics } from '../metrics.js'
import type { RequestLimiter } from '../ratelimit/types.js'
import type { SessionStore } from '../session/createSessionStore.js'
import type { NonceManager } from '../signer/createNonceManager.js'
import type { Signer } from '../signer/types.js'
import type { Simulator } from '../simulate/createSimulator.js'
import type { AddedChainStore } from '../upstream/createAddedChainStore.js'
import type { ChainRegistry } from '../upstream/createChainRegistry.js'
import type { SubscriptionRegistry } from '../upstream/createSubscriptionRegistry.js'
import type { TokenInfoCache } from '../upstream/createTokenInfoCache.js'
import type { UpstreamPool } from '../upstream/types.js'
import type { CallBatchStore } from './calls/createCallBatchStore.js'

/** Everything a pipeline step or method handler may use, passed in (no module state). */
export interface Services {
  readonly config: Config
  readonly log: Logger
  readonly metrics: Metrics
  readonly chains: ChainRegistry
  /** Chains added with wallet_addEthereumChain, persisted (also in `chains` once added). */
  readonly addedChains: AddedChainStore
  readonly upstreams: UpstreamPool
  /** Who owns which subscription and filter id (per connection; per origin over HTTP). */
  readonly subscriptions: SubscriptionRegistry
  readonly sessions: SessionStore
  readonly approvals: ApprovalBroker
  /** The attested policy that runs (an approver in the broker), or null. */
  readonly policy: Policy | null
  /** The hash-chained audit log (grants, revokes, decisions, signatures, sent transactions). */
  readonly audit: AuditSink
  readonly limiter: RequestLimiter
  /** null while no account is unlocked (signing methods answer 4100); set once an unlock finishes. */
  signer: Signer | null
  /** Per-account nonce assignment for eth_sendTransaction (createNonceManager). */
  readonly nonces: NonceManager
  /** Token metadata (decimals, symbol, name, ERC-165) per chain and address, for prompts. */
  readonly tokenInfo: TokenInfoCache
  /** EIP-5792 batches (wallet_sendCalls), in memory, per origin. */
  readonly batches: CallBatchStore
  /** Simulates transactions before their prompt (bounded; describes, never decides). */
  readonly simulator: Simulator
  /** Tokens watched with wallet_watchAsset, persisted. */
  readonly watchedAssets: WatchedAssetStore
  readonly now: () => number
}
