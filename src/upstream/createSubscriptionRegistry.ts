import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import {
  InternalError,
  InvalidInputError,
  LimitExceededError,
  MethodNotSupportedError,
  ResourceUnavailableError,
} from '../errors/rpc.js'
import type { Metrics } from '../metrics.js'
import type { SubscriptionOwner as Connection, Upstream, UpstreamSubscription } from './types.js'

export type SubscriptionRegistry = ReturnType<typeof createSubscriptionRegistry>

export type CreateSubscriptionRegistryParameters = {
  metrics: Metrics
  /** Cap per owner, for subscriptions and (separately) for filters. */
  maxPerConnection: number
  log?: Logger
  /** A filter not polled for this long is uninstalled when its owner next installs one (nodes expire them too). */
  filterIdleMs?: number
  now?: () => number
  /** walletd's client-facing ids: 0x + 32 hex, random. */
  newId?: () => string
}

export type FilterInstallMethod = 'eth_newFilter' | 'eth_newBlockFilter' | 'eth_newPendingTransactionFilter'
export type FilterQueryMethod = 'eth_getFilterChanges' | 'eth_getFilterLogs'

type Sub = { readonly upstream: UpstreamSubscription }
type Filter = { readonly upstream: Upstream; readonly upstreamId: string; lastUsed: number }

/**
 * Who owns ids. A WebSocket connection owns its subscriptions and filters (`c:<conn.id>`); for HTTP
 * (each request its own Connection) filters are owned by the origin (`o:<origin>`).
 */
type Owner = {
  readonly key: string
  readonly origin: string
  readonly subs: Map<string, Sub>
  readonly filters: Map<string, Filter>
  /** Subscribes / installs in flight: they count against the cap. */
  reservedSubs: number
  reservedFilters: number
  /** Bumped by dropOrigin and on close: an in-flight subscribe or install of an older epoch is undone. */
  epoch: number
  closed: boolean
}

/** The answer a node (geth, Anvil) gives for an unknown filter id; viem re-creates its filter on -32000. */
function filterNotFound() {
  return new InvalidInputError({ message: 'filter not found' })
}

/**
 * Ownership of subscriptions and filters. Ids handed to clients are walletd's own random ids,
 * mapped to the upstream's ids, so a page can never poll, cancel or receive another page's
 * subscription or filter: a foreign id is indistinguishable from an unknown one. Everything a
 * connection owns is cancelled upstream when it closes; `dropOrigin` does the same for an origin
 * whose chain changed or whose permission was revoked.
 */
export function createSubscriptionRegistry({
  metrics,
  maxPerConnection,
  log,
  filterIdleMs = 5 * 60_000,
  now = Date.now,
  newId = () => `0x${randomBytes(16).toString('hex')}`,
}: CreateSubscriptionRegistryParameters) {
  const owners = new Map<string, Owner>()
  const byOrigin = new Map<string, Set<Owner>>()
  let subscriptionCount = 0
  let filterCount = 0

  function updateGauge() {
    metrics.subscriptionsActive.set(subscriptionCount)
  }

  function ownerFor(conn: Connection, kind: 'sub' | 'filter'): Owner {
    const byConnection = conn.transport !== 'http' || kind === 'sub'
    const key = byConnection ? `c:${conn.id}` : `o:${conn.origin}`
    let owner = owners.get(key)
    if (owner) return owner
    if (byConnection && conn.closed) {
      throw new ResourceUnavailableError({ message: 'The connection is closing.' })
    }
    owner = {
      key,
      origin: conn.origin,
      subs: new Map(),
      filters: new Map(),
      reservedSubs: 0,
      reservedFilters: 0,
      epoch: 0,
      closed: false,
    }
    owners.set(key, owner)
    let set = byOrigin.get(conn.origin)
    if (!set) {
      set = new Set()
      byOrigin.set(conn.origin, set)
    }
    set.add(owner)
    if (byConnection) {
      const o = owner
      conn.onClose(() => {
        o.closed = true
        forget(o)
        void clear(o)
      })
    }
    return owner
  }

  function forget(owner: Owner) {
    owners.delete(owner.key)
    const set = byOrigin.get(owner.origin)
    set?.delete(owner)
    if (set?.size === 0) byOrigin.delete(owner.origin)
  }

  function existingOwner(conn: Connection, kind: 'sub' | 'filter'): Owner | undefined {
    const byConnection = conn.transport !== 'http' || kind === 'sub'
    return owners.get(byConnection ? `c:${conn.id}` : `o:${conn.origin}`)
  }

  /** Cancels everything the owner has, upstream too (failures there are logged, never thrown). */
  async function clear(owner: Owner) {
    owner.epoch++
    const subs = [...owner.subs.values()]
    const filters = [...owner.filters.values()]
    subscriptionCount -= owner.subs.size
    filterCount -= owner.filters.size
    owner.subs.clear()
    owner.filters.clear()
    updateGauge()
    await Promise.all([...subs.map(cancelSub), ...filters.map(cancelFilter)])
  }

  function cancelSub(sub: Sub) {
    return sub.upstream
      .unsubscribe()
      .catch((err) => log?.debug({ err: describe(err) }, 'upstream unsubscribe failed'))
  }

  function cancelFilter(filter: Filter) {
    return filter.upstream
      .request('eth_uninstallFilter', [filter.upstreamId])
      .then(() => undefined)
      .catch((err) => log?.debug({ err: describe(err) }, 'upstream eth_uninstallFilter failed'))
  }

  /** `eth_subscribe` for a ws connection; notifications go to `conn.notify` under walletd's id. */
  async function subscribe({
    conn,
    upstream,
    params,
  }: {
    conn: Connection
    upstream: Upstream
    params: readonly unknown[]
  }): Promise<string> {
    const notify = conn.notify
    if (conn.transport === 'http' || !notify) {
      throw new MethodNotSupportedError({
        message:
          'eth_subscribe needs a WebSocket or an event stream (notifications cannot be sent over a plain HTTP request); use filters instead.',
      })
    }
    const owner = ownerFor(conn, 'sub')
    if (owner.subs.size + owner.reservedSubs >= maxPerConnection) {
      throw new LimitExceededError({
        message: `Too many subscriptions on this connection (at most ${maxPerConnection}).`,
        data: { limit: 'subscriptions', maxSubscriptionsPerConnection: maxPerConnection },
      })
    }
    const id = newId()
    const epoch = owner.epoch
    const deliver = (result: unknown) => {
      if (!owner.subs.has(id)) return // cancelled
      try {
        notify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } })
      } catch (err) {
        log?.debug({ err: describe(err) }, 'could not deliver a subscription notification')
      }
    }
    // Notifications that arrive before the client has its id are held back until after the answer.
    let early: unknown[] | null = []
    owner.reservedSubs++
    let upstreamSub: UpstreamSubscription
    try {
      upstreamSub = await upstream.subscribe(params, (result) => {
        if (early) early.push(result)
        else deliver(result)
      })
    } finally {
      owner.reservedSubs--
    }
    if (owner.closed || owner.epoch !== epoch) {
      void cancelSub({ upstream: upstreamSub })
      throw new ResourceUnavailableError({
        message: 'The subscription was cancelled: the connection closed or its chain changed meanwhile.',
      })
    }
    owner.subs.set(id, { upstream: upstreamSub })
    subscriptionCount++
    updateGauge()
    const held = early
    early = null
    if (held.length > 0) setImmediate(() => held.forEach(deliver))
    return id
  }

  /** `eth_unsubscribe`: true only for one of the caller's own live subscriptions. */
  async function unsubscribe(conn: Connection, id: string): Promise<boolean> {
    const owner = existingOwner(conn, 'sub')
    const sub = owner?.subs.get(id)
    if (!owner || !sub) return false
    owner.subs.delete(id)
    subscriptionCount--
    updateGauge()
    await cancelSub(sub)
    return true
  }

  function sweepIdle(owner: Owner) {
    const cutoff = now() - filterIdleMs
    for (const [id, f] of owner.filters) {
      if (f.lastUsed < cutoff) {
        owner.filters.delete(id)
        filterCount--
        void cancelFilter(f)
      }
    }
  }

  /** `eth_newFilter` / `eth_newBlockFilter` / `eth_newPendingTransactionFilter` → walletd's filter id. */
  async function installFilter({
    conn,
    upstream,
    method,
    params,
    signal,
  }: {
    conn: Connection
    upstream: Upstream
    method: FilterInstallMethod
    params: readonly unknown[]
    signal?: AbortSignal
  }): Promise<string> {
    const owner = ownerFor(conn, 'filter')
    sweepIdle(owner)
    if (owner.filters.size + owner.reservedFilters >= maxPerConnection) {
      throw new LimitExceededError({
        message: `Too many filters installed (at most ${maxPerConnection}); uninstall some with eth_uninstallFilter.`,
        data: { limit: 'filters', maxFilters: maxPerConnection },
      })
    }
    const epoch = owner.epoch
    owner.reservedFilters++
    let upstreamId: unknown
    try {
      upstreamId = await upstream.request(method, params, signal ? { signal } : undefined)
    } finally {
      owner.reservedFilters--
    }
    if (typeof upstreamId !== 'string' || upstreamId.length === 0 || upstreamId.length > 256) {
      throw new InternalError({ message: `The upstream sent a malformed answer to ${method}.` })
    }
    const filter: Filter = { upstream, upstreamId, lastUsed: now() }
    if (owner.closed || owner.epoch !== epoch) {
      void cancelFilter(filter)
      throw new ResourceUnavailableError({
        message: 'The filter was removed: the connection closed or its chain changed meanwhile.',
      })
    }
    const id = newId()
    owner.filters.set(id, filter)
    if (!owners.has(owner.key)) {
      // An origin-owned entry that was emptied and forgotten while we awaited: register it again.
      owners.set(owner.key, owner)
      let set = byOrigin.get(owner.origin)
      if (!set) {
        set = new Set()
        byOrigin.set(owner.origin, set)
      }
      set.add(owner)
    }
    filterCount++
    return id
  }

  /** `eth_getFilterChanges` / `eth_getFilterLogs` for one of the caller's filters (-32000 otherwise). */
  async function queryFilter(
    conn: Connection,
    method: FilterQueryMethod,
    id: string,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const filter = existingOwner(conn, 'filter')?.filters.get(id)
    if (!filter) throw filterNotFound()
    filter.lastUsed = now()
    return filter.upstream.request(method, [filter.upstreamId], signal ? { signal } : undefined)
  }

  /** `eth_uninstallFilter`: true for one of the caller's filters, false otherwise (like a node). */
  async function uninstallFilter(conn: Connection, id: string): Promise<boolean> {
    const owner = existingOwner(conn, 'filter')
    const filter = owner?.filters.get(id)
    if (!owner || !filter) return false
    owner.filters.delete(id)
    filterCount--
    if (owner.key.startsWith('o:') && owner.filters.size === 0 && owner.reservedFilters === 0) forget(owner)
    await cancelFilter(filter)
    return true
  }

  /** Cancels every subscription and filter of an origin (chain switched, permission revoked). */
  async function dropOrigin(origin: string): Promise<void> {
    const set = byOrigin.get(origin)
    if (!set) return
    const list = [...set]
    for (const owner of list) if (owner.key.startsWith('o:')) forget(owner)
    await Promise.all(list.map(clear))
  }

  return {
    subscribe,
    unsubscribe,
    installFilter,
    queryFilter,
    uninstallFilter,
    dropOrigin,
    counts(): { subscriptions: number; filters: number } {
      return { subscriptions: subscriptionCount, filters: filterCount }
    },
    /** Cancels everything (shutdown). */
    async close(): Promise<void> {
      const list = [...owners.values()]
      owners.clear()
      byOrigin.clear()
      for (const o of list) o.closed = true
      await Promise.all(list.map(clear))
    },
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
