import type { Address } from 'viem'

export type NonceManagerOptions = {
  /**
   * How long a locally remembered next nonce is trusted over a lower `pending` count from the
   * upstream (a lagging or load-balanced node). After that only the upstream counts, so a dropped
   * transaction cannot leave a permanent gap.
   */
  rememberMs?: number
  now?: () => number
}

export type NonceKey = { chainId: number; address: Address }

export type NonceManager = ReturnType<typeof createNonceManager>

/**
 * Per-account nonce assignment for eth_sendTransaction. Policy (MetaMask's transaction
 * controller does the same): the nonce is taken AFTER approval, under a per-(chain, account)
 * lock held only while signing and broadcasting. So a long approval never blocks another send
 * (from this or any other origin), a rejected request never consumes a nonce, and a failed
 * broadcast leaves the counter where it was: concurrent sends get distinct, gap-free nonces.
 */
export function createNonceManager({ rememberMs = 60_000, now = Date.now }: NonceManagerOptions = {}) {
  /** Tail of each account's lock queue; deleted when the queue drains. */
  const locks = new Map<string, Promise<void>>()
  const remembered = new Map<string, { next: number; at: number }>()

  // Stryker disable next-line MethodExpression: any one case works, the same key names the lock and the counter
  const keyOf = ({ chainId, address }: NonceKey) => `${chainId}:${address.toLowerCase()}`

  async function lock(key: string): Promise<() => void> {
    const previous = locks.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => mine)
    locks.set(key, tail)
    await previous
    return () => {
      release()
      if (locks.get(key) === tail) locks.delete(key)
    }
  }

  async function run<T>(
    key: NonceKey,
    options: { pending: () => Promise<number>; fixed?: number | undefined },
    use: (nonce: number) => Promise<{ used: number; result: T }>,
  ): Promise<T> {
    const k = keyOf(key)
    const unlock = await lock(k)
    try {
      const pending = await options.pending()
      if (!Number.isSafeInteger(pending) || pending < 0)
        throw new Error('invalid pending nonce from upstream')
      const local = remembered.get(k)
      const localNext = local && now() - local.at < rememberMs ? local.next : 0
      const next = Math.max(pending, localNext)
      const nonce = options.fixed ?? next
      const { used, result } = await use(nonce)
      // A custom nonce that is not the next one (a gap or a replacement) does not move the counter.
      if (nonce === next && used > 0) remembered.set(k, { next: nonce + used, at: now() })
      return result
    } finally {
      unlock()
    }
  }

  return {
    /**
     * Runs `use(nonce)` holding the account's lock. The nonce is `fixed` when the dApp chose one,
     * else the larger of the upstream's pending count and the remembered next nonce. When `use`
     * resolves the nonce counts as used; when it throws nothing is consumed.
     */
    async withNonce<T>(
      key: NonceKey,
      options: { pending: () => Promise<number>; fixed?: number | undefined },
      use: (nonce: number) => Promise<T>,
    ): Promise<T> {
      return run(key, options, async (nonce) => ({ used: 1, result: await use(nonce) }))
    },
    /**
     * A run of consecutive nonces (an EIP-5792 batch, sent one by one): `use(first)` holds the
     * account's lock for the whole run, so nothing else from the account takes a nonce in
     * between, and says how many it used (sent); the counter moves past them. Throwing uses none.
     */
    async withNonces<T>(
      key: NonceKey,
      options: { pending: () => Promise<number> },
      use: (first: number) => Promise<{ used: number; result: T }>,
    ): Promise<T> {
      return run(key, options, use)
    },
    /** The remembered next nonce (for display); undefined when none is trusted. */
    peek(key: NonceKey): number | undefined {
      const local = remembered.get(keyOf(key))
      return local && now() - local.at < rememberMs ? local.next : undefined
    },
    /** Accounts with a send in progress or queued (for tests and metrics). */
    busy(): number {
      return locks.size
    },
  }
}
