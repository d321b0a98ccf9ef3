import type { Address, Hex, TransactionSerializable } from 'viem'
import { DuplicateIdError, LimitExceededError } from '../../errors/rpc.js'

/** One call of a batch as approved: filled and ready to sign (the nonce is taken when sent). */
export type BatchCall = {
  readonly to: Address | null
  readonly value: bigint
  readonly data: Hex
  readonly tx: TransactionSerializable
}

/** A receipt as EIP-5792 reports it (the fields it names, as the node answered them). */
export type CallReceipt = {
  readonly logs: readonly { readonly address: Address; readonly data: Hex; readonly topics: readonly Hex[] }[]
  readonly status: '0x1' | '0x0'
  readonly blockHash: Hex
  readonly blockNumber: Hex
  readonly gasUsed: Hex
  readonly transactionHash: Hex
}

/** What happened to one call: sent (its hash), landed (its receipt), or failed before the chain. */
export type CallProgress = { hash: Hex | null; receipt: CallReceipt | null; error: string | null }

export type CallBatch = {
  readonly id: string
  /** The session key that made it: only it can read the batch. */
  readonly origin: string
  readonly chainId: number
  readonly from: Address
  readonly createdAt: number
  readonly calls: readonly BatchCall[]
  /** One per call, filled in as the calls are sent. */
  readonly progress: CallProgress[]
  /** `sending` while walletd works through the calls; `done` once it stopped (all sent, or a failure). */
  state: 'sending' | 'done'
  /** Why the calls after the last one sent were not sent; null when all were. */
  stopped: string | null
}

export type CallBatchStoreOptions = {
  maxPerOrigin: number
  maxTotal: number
  retentionMs: number
  now?: () => number
}

export type CallBatchStore = ReturnType<typeof createCallBatchStore>

/**
 * EIP-5792 batches, in memory, per origin: a batch is found only by the origin that made it (its
 * id is unique per origin), kept `retentionMs` (24 h by default), at most `maxPerOrigin` per
 * origin and `maxTotal` in all: to make room the oldest finished batch goes first; when every
 * batch is still sending, a new one is refused (-32005). `close()` aborts `signal`, which the
 * batch senders watch.
 */
export function createCallBatchStore({
  maxPerOrigin,
  maxTotal,
  retentionMs,
  now = Date.now,
}: CallBatchStoreOptions) {
  /** `origin\nid` → batch, oldest first. */
  const batches = new Map<string, CallBatch>()
  const closing = new AbortController()
  const keyOf = (origin: string, id: string) => `${origin}\n${id}`

  function expire() {
    const cutoff = now() - retentionMs
    for (const [key, b] of batches) {
      if (b.createdAt > cutoff) break
      if (b.state === 'done') batches.delete(key)
    }
  }

  /** Forgets the oldest finished batch among `candidates`; false when every one is still sending. */
  function evictOne(candidates: Iterable<[string, CallBatch]>): boolean {
    for (const [key, b] of candidates) {
      if (b.state === 'done') {
        batches.delete(key)
        return true
      }
    }
    return false
  }

  const full = (what: string) =>
    new LimitExceededError({
      message: `Too many batches are still being sent (${what}); wait for one to finish.`,
      data: { limit: 'batches', retryAfterMs: 1000 },
    })

  return {
    /** Whether this origin used this id within the retention period. */
    has(origin: string, id: string): boolean {
      expire()
      return batches.has(keyOf(origin, id))
    },
    /** Adds a new batch; 5720 for an id the origin already used, -32005 when no room can be made. */
    add(batch: CallBatch): void {
      expire()
      const key = keyOf(batch.origin, batch.id)
      if (batches.has(key)) throw new DuplicateIdError()
      const mine = () => [...batches].filter(([, b]) => b.origin === batch.origin)
      if (mine().length >= maxPerOrigin && !evictOne(mine())) throw full('for this origin')
      if (batches.size >= maxTotal && !evictOne(batches)) throw full('in all')
      batches.set(key, batch)
    },
    /** The origin's batch, or undefined (unknown, expired, or another origin's: the same answer). */
    get(origin: string, id: string): CallBatch | undefined {
      expire()
      const b = batches.get(keyOf(origin, id))
      return b && b.createdAt > now() - retentionMs ? b : undefined
    },
    get size(): number {
      return batches.size
    },
    /** Aborted on shutdown: batch senders stop before their next call. */
    get signal(): AbortSignal {
      return closing.signal
    },
    close(): void {
      closing.abort(new Error('shutdown'))
    },
  }
}
