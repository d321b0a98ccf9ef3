import { describe, expect, it } from 'vitest'
import { createNonceManager } from './createNonceManager.js'

const key = { chainId: 1, address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const }

/** A node whose pending count moves when the next nonce is broadcast. */
function fakeChain() {
  let pending = 0
  const sent: number[] = []
  return {
    sent,
    pending: async () => pending,
    broadcast: async (nonce: number) => {
      await new Promise((r) => setImmediate(r))
      sent.push(nonce)
      if (nonce === pending) pending++
      return nonce
    },
  }
}

describe('createNonceManager', () => {
  it('gives 20 concurrent sends from one account distinct, gap-free nonces', async () => {
    const nonces = createNonceManager()
    const chain = fakeChain()
    const results = await Promise.all(
      Array.from({ length: 20 }, () => nonces.withNonce(key, { pending: chain.pending }, chain.broadcast)),
    )
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(chain.sent).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(nonces.busy()).toBe(0)
  })

  it('a failed send consumes no nonce: the next send reuses it', async () => {
    const nonces = createNonceManager()
    const chain = fakeChain()
    const outcomes = await Promise.allSettled([
      nonces.withNonce(key, { pending: chain.pending }, chain.broadcast),
      nonces.withNonce(key, { pending: chain.pending }, async () => {
        throw new Error('node refused')
      }),
      nonces.withNonce(key, { pending: chain.pending }, chain.broadcast),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(chain.sent).toEqual([0, 1])
  })

  it('trusts its own counter over a lagging pending count, for a while', async () => {
    let t = 0
    const nonces = createNonceManager({ rememberMs: 1000, now: () => t })
    const lagging = async () => 5
    expect(await nonces.withNonce(key, { pending: lagging }, async (n) => n)).toBe(5)
    expect(await nonces.withNonce(key, { pending: lagging }, async (n) => n)).toBe(6)
    expect(nonces.peek(key)).toBe(7)
    t = 5000 // the remembered counter expired: a dropped transaction cannot leave a permanent gap
    expect(await nonces.withNonce(key, { pending: lagging }, async (n) => n)).toBe(5)
  })

  it('uses a fixed nonce as given and does not let a gap move the counter', async () => {
    const nonces = createNonceManager()
    expect(await nonces.withNonce(key, { pending: async () => 2, fixed: 9 }, async (n) => n)).toBe(9)
    expect(await nonces.withNonce(key, { pending: async () => 2 }, async (n) => n)).toBe(2)
  })

  it('keeps accounts and chains independent (one account waiting does not block another)', async () => {
    const nonces = createNonceManager()
    let release!: () => void
    const held = nonces.withNonce(
      key,
      { pending: async () => 0 },
      () =>
        new Promise<number>((r) => {
          release = () => r(0)
        }),
    )
    const other = await nonces.withNonce({ ...key, chainId: 2 }, { pending: async () => 7 }, async (n) => n)
    expect(other).toBe(7)
    release()
    expect(await held).toBe(0)
  })

  it('refuses a nonsensical pending count from the upstream', async () => {
    const nonces = createNonceManager()
    await expect(nonces.withNonce(key, { pending: async () => -1 }, async (n) => n)).rejects.toThrow()
    expect(nonces.busy()).toBe(0)
  })

  it('withNonces: a run holds the lock throughout; another send waits and gets the nonce after the run', async () => {
    const nonces = createNonceManager()
    let release!: () => void
    const run = nonces.withNonces(key, { pending: async () => 4 }, async (first) => {
      await new Promise<void>((r) => {
        release = r
      })
      return { used: 3, result: [first, first + 1, first + 2] }
    })
    const single = nonces.withNonce(key, { pending: async () => 5 }, async (n) => n)
    await new Promise((r) => setTimeout(r, 5))
    release()
    expect(await run).toEqual([4, 5, 6])
    // The node's pending count lags (5): the remembered counter moved past the whole run.
    expect(await single).toBe(7)
    // A run that used none of its nonces leaves the counter.
    await nonces.withNonces(key, { pending: async () => 8 }, async () => ({ used: 0, result: null }))
    expect(nonces.peek(key)).toBe(8)
  })

  it('the remembered counter is trusted for exactly rememberMs, and peek says the same', async () => {
    let t = 0
    const nonces = createNonceManager({ rememberMs: 1000, now: () => t })
    const lagging = async () => 5
    expect(nonces.peek(key)).toBeUndefined()
    await nonces.withNonce(key, { pending: lagging }, async (n) => n)
    t = 999
    expect(nonces.peek(key)).toBe(6)
    expect(await nonces.withNonce(key, { pending: lagging }, async (n) => n)).toBe(6)
    t = 999 + 1000 // exactly rememberMs after the last send: no longer trusted
    expect(nonces.peek(key)).toBeUndefined()
    expect(await nonces.withNonce(key, { pending: lagging }, async (n) => n)).toBe(5)
  })

  it('one counter per chain and account, whatever the address case', async () => {
    const nonces = createNonceManager()
    const lower = { chainId: 1, address: key.address.toLowerCase() as `0x${string}` }
    await nonces.withNonce(key, { pending: async () => 3 }, async (n) => n)
    expect(nonces.peek(lower)).toBe(4)
    expect(await nonces.withNonce(lower, { pending: async () => 3 }, async (n) => n)).toBe(4)
    expect(nonces.peek({ ...key, chainId: 2 })).toBeUndefined()
  })

  it('busy counts accounts with a send in progress', async () => {
    const nonces = createNonceManager()
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const first = nonces.withNonce(key, { pending: async () => 0 }, () => gate)
    const second = nonces.withNonce(key, { pending: async () => 0 }, async (n) => n)
    await new Promise((r) => setImmediate(r))
    expect(nonces.busy()).toBe(1)
    release()
    await first
    expect(await second).toBe(1)
    expect(nonces.busy()).toBe(0)
  })

  it('refuses a pending count that is not a non-negative safe integer, with a message', async () => {
    const nonces = createNonceManager()
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await expect(nonces.withNonce(key, { pending: async () => bad }, async (n) => n)).rejects.toThrow(
        'invalid pending nonce from upstream',
      )
    }
    expect(await nonces.withNonce(key, { pending: async () => 0 }, async (n) => n)).toBe(0)
  })

  it('a send arriving while a queued one runs still waits for it (the lock outlives its first holder)', async () => {
    const nonces = createNonceManager()
    const gates: (() => void)[] = []
    const started: number[] = []
    const held = (n: number) => {
      started.push(n)
      return new Promise<number>((resolve) => gates.push(() => resolve(n)))
    }
    const tick = () => new Promise((r) => setImmediate(r))
    const first = nonces.withNonce(key, { pending: async () => 0 }, held)
    const second = nonces.withNonce(key, { pending: async () => 0 }, held)
    await tick()
    expect(started).toEqual([0])
    gates.shift()!()
    await first
    await tick()
    expect(started).toEqual([0, 1])
    expect(nonces.busy()).toBe(1)
    const third = nonces.withNonce(key, { pending: async () => 0 }, held)
    await tick()
    // The third waits for the second: no two sends from one account hold a nonce at once.
    expect(started).toEqual([0, 1])
    gates.shift()!()
    expect(await second).toBe(1)
    await tick()
    expect(started).toEqual([0, 1, 2])
    gates.shift()!()
    expect(await third).toBe(2)
    expect(nonces.busy()).toBe(0)
  })

  it('a run that used no nonce leaves nothing remembered', async () => {
    const nonces = createNonceManager()
    expect(
      await nonces.withNonces(key, { pending: async () => 5 }, async () => ({ used: 0, result: 'none' })),
    ).toBe('none')
    expect(nonces.peek(key)).toBeUndefined()
    expect(
      await nonces.withNonces(key, { pending: async () => 5 }, async (n) => ({ used: 2, result: n })),
    ).toBe(5)
    expect(nonces.peek(key)).toBe(7)
  })
})
