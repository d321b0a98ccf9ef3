import { type ConnectionStatus, createConnection, type SessionState } from './createConnection.js'
import { createEmitter, type Listener } from './createEmitter.js'
import { INVALID_REQUEST, ProviderRpcError, UNSUPPORTED_METHOD } from './errors.js'
import { bridgeLink, type HostBridge } from './links/bridgeLink.js'
import { createCspWatch } from './links/createCspWatch.js'
import { type EventSourceLike, httpLink } from './links/httpLink.js'
import { socketLink } from './links/socketLink.js'
import type { CreateSocket, CspWatch, OpenLink, TransportName } from './links/types.js'

export type WalletdProviderOptions = {
  /** walletd's WebSocket URL, exactly as the host got it: `ws://127.0.0.1:PORT/rpc`. */
  url?: string
  /** The daemon's identity public key (`walletd status --json`, `identity.publicKey`). */
  publicKey?: string
  /** A host token, best bound to the page's origin (`walletd provider --origin …`). Proved, never sent. */
  token?: string
  /** Ways to reach walletd, in order. Default: websocket, http, then bridge when one is given. */
  transports?: TransportName[]
  /** The host's channel to its native side, for pages whose CSP forbids connecting to walletd. */
  bridge?: HostBridge
  /** The page's origin (default `location.origin`; required outside a page). */
  origin?: string
  /** Report `isMetaMask: true` (some dApps enable nothing without it). Default false. */
  isMetaMask?: boolean
  /** Reconnect delays (default 250 ms, doubling with jitter, at most 10 s). */
  reconnect?: { initialMs?: number; maxMs?: number }
  /** How long a request waits for a connection before it fails with 4900 (default 30 s). */
  queueTimeoutMs?: number
  /** How long one connection attempt may take, handshake included (default 10 s). */
  connectTimeoutMs?: number
  /** Opens a WebSocket (default: the global WebSocket). In Node, pass one that sets the Origin header. */
  createSocket?: CreateSocket
  /** Opens an event stream (default: the global EventSource). */
  createEventSource?: (url: string) => EventSourceLike
  fetch?: typeof globalThis.fetch
  /** Ready-made links instead of `transports` (tests, hosts with a transport of their own). */
  links?: ReadonlyArray<{ name: TransportName; open: OpenLink }>
}

export type RequestArguments = { readonly method: string; readonly params?: readonly unknown[] | object }

/** Methods that ask a person, sign, send or change the session: never sent twice after a drop. */
const NOT_RESENT = new Set([
  'eth_sendTransaction',
  'eth_sendRawTransaction',
  'eth_sign',
  'eth_signTransaction',
  'personal_sign',
  'eth_signTypedData',
  'eth_signTypedData_v1',
  'eth_signTypedData_v3',
  'eth_signTypedData_v4',
  'eth_requestAccounts',
  'wallet_requestPermissions',
  'wallet_revokePermissions',
  'wallet_switchEthereumChain',
  'wallet_addEthereumChain',
  'wallet_watchAsset',
  'wallet_sendCalls',
])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** `request()` arguments, checked before anything is sent (MetaMask's wording). */
function checkArgs(args: unknown): ProviderRpcError | null {
  if (!isObject(args) || Array.isArray(args))
    return new ProviderRpcError(INVALID_REQUEST, 'Expected a single, non-array, object argument.', args)
  if (typeof args.method !== 'string' || args.method.length === 0)
    return new ProviderRpcError(INVALID_REQUEST, "'args.method' must be a non-empty string.", args)
  if (args.params !== undefined && !isObject(args.params))
    return new ProviderRpcError(
      INVALID_REQUEST,
      "'args.params' must be an object or array if provided.",
      args,
    )
  return null
}

const sameAccounts = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * An EIP-1193 provider backed by walletd. It connects at once (handshake first), emits `connect`
 * from walletd's state push, `chainChanged` (and the legacy `networkChanged`), `accountsChanged`
 * and `message` (`eth_subscription`, under ids that stay the same across reconnects) on real changes
 * only, and `disconnect` when a connection drops (1013, it reconnects) or it gives up (1011).
 */
export function createWalletdProvider(options: WalletdProviderOptions) {
  const emitter = createEmitter()
  const origin = options.origin ?? globalThis.location?.origin
  const csp: CspWatch = createCspWatch()
  const timeoutMs = options.connectTimeoutMs ?? 10_000
  const names =
    options.transports ?? (['websocket', 'http', ...(options.bridge ? ['bridge'] : [])] as TransportName[])

  const transports = options.links ?? names.map((name) => ({ name, open: openerFor(name) }))
  function openerFor(name: TransportName): OpenLink {
    if (name === 'bridge') {
      if (!options.bridge) throw new TypeError('walletd provider: the bridge transport needs a bridge.')
      return bridgeLink(options.bridge, timeoutMs)
    }
    const { url, publicKey, token } = options
    if (!url || !publicKey || !token || !origin)
      throw new TypeError(
        `walletd provider: the ${name} transport needs url, publicKey, token and an origin.`,
      )
    if (name === 'websocket') {
      const createSocket =
        options.createSocket ??
        ((u: string, protocols: string[]) =>
          new globalThis.WebSocket(u, protocols) as unknown as ReturnType<CreateSocket>)
      return socketLink({ url, publicKey, token, origin, createSocket, timeoutMs, csp })
    }
    const base = new URL(url)
    return httpLink({
      base: `${base.protocol === 'wss:' ? 'https:' : 'http:'}//${base.host}`,
      publicKey,
      token,
      origin,
      createEventSource:
        options.createEventSource ?? ((u) => new globalThis.EventSource(u) as unknown as EventSourceLike),
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs,
      csp,
    })
  }

  let chainId: string | null = null
  let networkVersion: string | null = null
  let accounts: string[] = []
  let version: string | null = null
  /** Subscriptions by the page's id; the id walletd gave on the current connection. */
  const subs = new Map<string, { params: unknown; daemonId: string | null }>()
  const byDaemon = new Map<string, string>()

  const dropSubscriptions = () => {
    subs.clear()
    byDaemon.clear()
  }

  function setChain(next: string, nextVersion: string): boolean {
    if (next === chainId) return false
    chainId = next
    networkVersion = nextVersion
    return true
  }

  function subscribe(params: unknown, pageId: string | null): Promise<unknown> {
    return connection.request('eth_subscribe', params, {
      resend: true,
      onResult(result) {
        if (typeof result !== 'string') return result
        const id = pageId ?? result
        const sub = subs.get(id) ?? { params, daemonId: null }
        if (pageId !== null && subs.get(pageId) !== sub) return id // dropped meanwhile
        sub.daemonId = result
        subs.set(id, sub)
        byDaemon.set(result, id)
        return id
      },
    })
  }

  const connection = createConnection({
    transports,
    reconnect: { initialMs: options.reconnect?.initialMs ?? 250, maxMs: options.reconnect?.maxMs ?? 10_000 },
    queueTimeoutMs: options.queueTimeoutMs ?? 30_000,
    readyTimeoutMs: timeoutMs,
    onReady(state: SessionState) {
      const first = chainId === null
      const chainChanged = setChain(state.chainId, state.networkVersion)
      const accountsChanged = !sameAccounts(accounts, state.accounts)
      accounts = [...state.accounts]
      version = state.version
      emitter.emit('connect', { chainId })
      if (first) return
      if (chainChanged) {
        // walletd dropped the session's subscriptions with the switch: they are not re-made.
        dropSubscriptions()
        emitter.emit('chainChanged', chainId)
        emitter.emit('networkChanged', networkVersion)
      } else {
        byDaemon.clear()
        for (const [pageId, sub] of subs) {
          sub.daemonId = null
          subscribe(sub.params, pageId).catch(() => {
            if (subs.get(pageId) === sub) subs.delete(pageId)
          })
        }
      }
      if (accountsChanged) emitter.emit('accountsChanged', [...accounts])
    },
    onPush({ method, params }) {
      const p = Array.isArray(params) ? params[0] : params
      if (method === 'eth_subscription' && isObject(p)) {
        const pageId = typeof p.subscription === 'string' ? byDaemon.get(p.subscription) : undefined
        if (pageId === undefined) return
        emitter.emit('message', {
          type: 'eth_subscription',
          data: { subscription: pageId, result: p.result },
        })
      } else if (method === 'walletd_chainChanged' && isObject(p) && typeof p.chainId === 'string') {
        if (!setChain(p.chainId, String(p.networkVersion))) return
        dropSubscriptions()
        emitter.emit('chainChanged', chainId)
        emitter.emit('networkChanged', networkVersion)
      } else if (method === 'walletd_accountsChanged' && Array.isArray(p)) {
        const next = p.filter((a): a is string => typeof a === 'string')
        if (sameAccounts(next, accounts)) return
        accounts = next
        if (next.length === 0) dropSubscriptions()
        emitter.emit('accountsChanged', [...accounts])
      }
    },
    onDown(error) {
      emitter.emit('disconnect', error)
    },
    onStatus(status: ConnectionStatus) {
      emitter.emit('statusChanged', status)
    },
  })

  async function request(args: RequestArguments): Promise<unknown> {
    const invalid = checkArgs(args)
    if (invalid) throw invalid
    const { method, params } = args
    if (method === 'eth_subscribe') return subscribe(params, null)
    if (method === 'eth_unsubscribe' && Array.isArray(params) && typeof params[0] === 'string') {
      const sub = subs.get(params[0])
      if (sub) {
        subs.delete(params[0])
        if (sub.daemonId === null) return true
        byDaemon.delete(sub.daemonId)
        if (connection.status !== 'connected') return true
        return connection.request('eth_unsubscribe', [sub.daemonId], { resend: true })
      }
    }
    return connection.request(method, params, { resend: !NOT_RESENT.has(method) })
  }

  type Payload = { id?: unknown; jsonrpc?: unknown; method: string; params?: unknown }
  type Callback = (error: Error | null, response?: unknown) => void

  function sendAsync(payload: Payload | Payload[], callback: Callback): void {
    const one = (p: Payload) =>
      request({ method: p.method, params: p.params as object }).then(
        (result) => ({ id: p.id, jsonrpc: '2.0', result }),
        (error: ProviderRpcError) => ({
          id: p.id,
          jsonrpc: '2.0',
          error: { code: error.code, message: error.message, data: error.data },
        }),
      )
    if (Array.isArray(payload)) Promise.all(payload.map(one)).then((r) => callback(null, r))
    else
      one(payload).then((r) =>
        'error' in r
          ? callback(new ProviderRpcError(r.error.code, r.error.message, r.error.data), r)
          : callback(null, r),
      )
  }

  const provider = {
    /** EIP-1193: one request; resolves with its result, rejects with a ProviderRpcError. */
    request,
    on(event: string, listener: Listener) {
      emitter.on(event, listener)
      return provider
    },
    once(event: string, listener: Listener) {
      emitter.once(event, listener)
      return provider
    },
    addListener(event: string, listener: Listener) {
      emitter.on(event, listener)
      return provider
    },
    removeListener(event: string, listener: Listener) {
      emitter.removeListener(event, listener)
      return provider
    },
    off(event: string, listener: Listener) {
      emitter.removeListener(event, listener)
      return provider
    },
    removeAllListeners(event?: string) {
      emitter.removeAllListeners(event)
      return provider
    },
    listenerCount: (event: string) => emitter.listenerCount(event),
    /** Legacy (EIP-1102): the same as `eth_requestAccounts`. */
    enable: () => request({ method: 'eth_requestAccounts' }) as Promise<string[]>,
    /** Legacy: `(payload, callback)`, one payload or an array. */
    sendAsync,
    /**
     * Legacy: `send(method, params)` resolves with the response object; `send(payload, callback)`
     * is `sendAsync`; `send(payload)` answers `eth_accounts`, `eth_coinbase` and `net_version` from
     * the provider's state, synchronously.
     */
    send(methodOrPayload: string | Payload, paramsOrCallback?: unknown) {
      if (typeof methodOrPayload === 'string') {
        return request({ method: methodOrPayload, params: paramsOrCallback as object }).then((result) => ({
          id: undefined,
          jsonrpc: '2.0',
          result,
        }))
      }
      if (typeof paramsOrCallback === 'function')
        return sendAsync(methodOrPayload, paramsOrCallback as Callback)
      const result =
        methodOrPayload.method === 'eth_accounts'
          ? [...accounts]
          : methodOrPayload.method === 'eth_coinbase'
            ? (accounts[0] ?? null)
            : methodOrPayload.method === 'net_version'
              ? networkVersion
              : undefined
      if (result === undefined)
        throw new ProviderRpcError(
          UNSUPPORTED_METHOD,
          `The provider does not answer ${methodOrPayload.method} synchronously; use request().`,
        )
      return { id: methodOrPayload.id, jsonrpc: '2.0', result }
    },
    /** MetaMask's: true while connected to walletd. */
    isConnected: () => connection.status === 'connected',
    isWalletd: true as const,
    isMetaMask: options.isMetaMask === true,
    /** The session's chain id (hex), once known. */
    get chainId() {
      return chainId
    },
    /** The session's chain id in decimal (legacy). */
    get networkVersion() {
      return networkVersion
    },
    /** The first granted account (legacy), or null. */
    get selectedAddress() {
      return accounts[0] ?? null
    },
    /** `connecting` | `connected` | `reconnecting` | `failed` (a `statusChanged` event follows every change). */
    get status() {
      return connection.status
    },
    /** How it is connected now: `websocket`, `http`, `bridge`, or null. */
    get transport() {
      return connection.transport
    },
    /** Why it gave up (status `failed`): e.g. "wallet daemon identity mismatch: …". */
    get error() {
      return connection.error
    },
    /** walletd's version, once connected. */
    get walletdVersion() {
      return version
    },
    /** Stops the provider for good (no reconnect). */
    close: () => connection.close(),
  }
  return provider
}

export type WalletdProvider = ReturnType<typeof createWalletdProvider>
