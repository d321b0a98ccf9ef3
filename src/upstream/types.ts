import type { ChainConfig } from '../config/schema.js'

export type UpstreamStatus = {
  chainId: number
  url: string
  transport: 'ws' | 'http'
  connected: boolean
  lastError: string | null
}

export interface UpstreamSubscription {
  /** The client-facing id stays stable across upstream reconnects. */
  unsubscribe(): Promise<void>
}

/**
 * One chain's upstream node. `request` resolves with the node's result or rejects with an
 * `UpstreamRpcError` (the node's own error, relayed) or a `ChainDisconnectedError` (4901:
 * unreachable or timed out). It never hangs past its timeout.
 */
export interface Upstream {
  readonly chainId: number
  readonly url: string
  readonly supportsSubscriptions: boolean
  request(method: string, params: unknown, options?: { signal?: AbortSignal }): Promise<unknown>
  /**
   * `eth_subscribe` with `params`; `onResult` gets each notification's `result`. Re-established
   * after a reconnect.
   */
  subscribe(params: readonly unknown[], onResult: (result: unknown) => void): Promise<UpstreamSubscription>
  status(): UpstreamStatus
  /**
   * Resolves once the upstream is reachable (WebSocket open, or an HTTP probe answered); rejects
   * with a `ChainDisconnectedError` after `connectTimeoutMs`. Start-up awaits it before checking
   * the node's `eth_chainId`; it never blocks longer than that.
   */
  ready(): Promise<void>
  close(): Promise<void>
}

export interface UpstreamPool {
  get(chainId: number): Upstream | undefined
  all(): readonly Upstream[]
  /** Creates the upstream of a chain added at runtime (the existing one when the id is known). */
  add(chain: ChainConfig): Upstream
  close(): Promise<void>
}

/**
 * What the subscription registry needs of a client connection (src/rpc's Connection satisfies
 * it): WebSocket connections own their subscriptions and filters; HTTP requests' filters belong
 * to the origin.
 */
export interface SubscriptionOwner {
  readonly id: string
  /** `ws` for a long-lived socket that can receive pushes. */
  readonly transport: string
  readonly origin: string
  readonly closed: boolean
  readonly notify: ((message: object) => void) | undefined
  onClose(fn: () => void): void
}
