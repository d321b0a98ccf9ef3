import { fileURLToPath } from 'node:url'
import { generatePrivateKey, sign } from 'viem/accounts'
import { hexToBytes, keccak256, numberToHex } from 'viem/utils'
import { afterEach, describe, expect, test } from 'vitest'
import { fakeClock } from '../../../test/helpers/fakeClock.js'
import { publicKeyOf } from '../keyAddress.js'
import { createSecpPool, defaultWorkerCount, type SecpPool } from './createSecpPool.js'
import type { SecpEngine } from './types.js'

const FAULTY_SECP = fileURLToPath(new URL('../../../test/fixtures/faultySecp.cjs', import.meta.url))

const pools: SecpPool[] = []
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()))
})

function setup(options: { workers: number; keys?: number; fault?: string; now?: () => number }) {
  const privateKeys = Array.from({ length: options.keys ?? 2 }, () => hexToBytes(generatePrivateKey()))
  const pool = createSecpPool({
    privateKeys,
    publicKeys: privateKeys.map(publicKeyOf),
    workers: options.workers,
    ...(options.now ? { now: options.now } : {}),
    ...(options.fault ? { workerEngine: { module: FAULTY_SECP, data: { fault: options.fault } } } : {}),
  })
  pools.push(pool)
  return { pool, privateKeys }
}

const hashOf = (i: number) => hexToBytes(keccak256(numberToHex(i, { size: 8 })))

/** What viem's local accounts produce for the same hash and key: r ‖ s ‖ yParity. */
async function viemSignature(hash: Uint8Array, key: Uint8Array) {
  const sig = await sign({
    hash: `0x${Buffer.from(hash).toString('hex')}`,
    privateKey: `0x${Buffer.from(key).toString('hex')}`,
  })
  return `${sig.r}${sig.s.slice(2)}0${sig.yParity}`
}
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

/** Sends batches of `size` until the workers signed some (they start when concurrency first shows). */
async function untilWorkersSign(pool: SecpPool, slot: number, size = 6) {
  for (let round = 0; round < 200 && pool.stats().workers === 0; round++) {
    await Promise.all(Array.from({ length: size }, (_, i) => pool.sign(slot, hashOf(round * size + i))))
  }
  expect(pool.stats().workers).toBeGreaterThan(0)
}

describe('createSecpPool', () => {
  test('a lone signature is made on the main thread, and no worker is started', async () => {
    const { pool, privateKeys } = setup({ workers: 2 })
    for (let i = 0; i < 5; i++) {
      expect(hex(await pool.sign(1, hashOf(i)))).toBe(await viemSignature(hashOf(i), privateKeys[1]!))
    }
    expect(pool.stats()).toEqual({ mainThread: 5, workers: 0, workersReady: 0 })
  })

  test('signatures that wait together go to the workers (and the main thread), equal to viem', async () => {
    const { pool, privateKeys } = setup({ workers: 2 })
    await untilWorkersSign(pool, 0)
    const hashes = Array.from({ length: 40 }, (_, i) => hashOf(1000 + i))
    const before = pool.stats()
    const signatures = await Promise.all(hashes.map((h, i) => pool.sign(i % 2, h)))
    const after = pool.stats()
    expect(after.workers).toBeGreaterThan(before.workers)
    for (let i = 0; i < hashes.length; i++) {
      expect(hex(signatures[i]!)).toBe(await viemSignature(hashes[i]!, privateKeys[i % 2]!))
    }
  })

  test('under load even a lone signature goes to a worker; once quiet, the main thread signs again', async () => {
    const clock = fakeClock(1000)
    const { pool, privateKeys } = setup({ workers: 1, now: clock.now })
    await untilWorkersSign(pool, 0)
    // Signatures overlapped just now: the next lone one still goes to the worker.
    let before = pool.stats()
    expect(hex(await pool.sign(0, hashOf(7)))).toBe(await viemSignature(hashOf(7), privateKeys[0]!))
    expect(pool.stats().workers).toBe(before.workers + 1)
    expect(pool.stats().mainThread).toBe(before.mainThread)
    // Quiet for longer than the window: lone signatures are the main thread's again.
    clock.advance(1000)
    before = pool.stats()
    expect(hex(await pool.sign(1, hashOf(8)))).toBe(await viemSignature(hashOf(8), privateKeys[1]!))
    expect(pool.stats()).toMatchObject({ mainThread: before.mainThread + 1, workers: before.workers })
  })

  test('a worker with a faulty engine never returns a signature: each one is an error', async () => {
    for (const fault of ['flip-s', 'recovery', 'other-key']) {
      const { pool, privateKeys } = setup({ workers: 1, fault })
      let failedInWorker = 0
      for (let round = 0; round < 200 && failedInWorker === 0; round++) {
        const hashes = Array.from({ length: 4 }, (_, i) => hashOf(round * 4 + i))
        const results = await Promise.allSettled(hashes.map((h) => pool.sign(0, h)))
        for (const [i, r] of results.entries()) {
          // The main thread's engine is sound: what it signs is viem's signature; a worker's fails.
          if (r.status === 'fulfilled')
            expect(hex(r.value)).toBe(await viemSignature(hashes[i]!, privateKeys[0]!))
          else if (/recover|low-s/.test(String(r.reason))) failedInWorker++
          else throw r.reason
        }
      }
      expect(pool.stats().workers, fault).toBe(0)
      expect(failedInWorker, fault).toBeGreaterThan(0)
    }
  })

  test('refuses a bad slot or hash, and everything after close', async () => {
    const { pool } = setup({ workers: 0 })
    await expect(pool.sign(2, hashOf(0))).rejects.toThrow('no such key')
    await expect(pool.sign(0, new Uint8Array(31))).rejects.toThrow('32 bytes')
    await pool.close()
    await expect(pool.sign(0, hashOf(0))).rejects.toThrow('closed')
  })

  test('close ends the workers; signatures waiting then are rejected', async () => {
    const { pool } = setup({ workers: 1 })
    await untilWorkersSign(pool, 0)
    const waiting = Promise.allSettled(Array.from({ length: 8 }, (_, i) => pool.sign(0, hashOf(i))))
    await pool.close()
    for (const r of await waiting) {
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/closed/)
    }
    expect(pool.stats().workersReady).toBe(0)
  })
})

describe('createSecpPool: inputs and engine loading', () => {
  const key = () => hexToBytes(generatePrivateKey())

  test('refuses keys that are not one 32-byte key and one 65-byte public key per slot', () => {
    const k = key()
    expect(() => createSecpPool({ privateKeys: [k], publicKeys: [] })).toThrow(
      'createSecpPool: one public key per key',
    )
    expect(() => createSecpPool({ privateKeys: [k.subarray(0, 31)], publicKeys: [publicKeyOf(k)] })).toThrow(
      'createSecpPool: private keys are 32 bytes',
    )
    expect(() => createSecpPool({ privateKeys: [k], publicKeys: [publicKeyOf(k).subarray(0, 33)] })).toThrow(
      'createSecpPool: public keys are 65 bytes (uncompressed)',
    )
  })

  test('each slot signs with its own key, from a copy of it', async () => {
    const keys = [key(), key(), key()]
    const pool = createSecpPool({ privateKeys: keys, publicKeys: keys.map(publicKeyOf), workers: 0 })
    pools.push(pool)
    const expected = await Promise.all(keys.map((k, i) => viemSignature(hashOf(i), k)))
    for (const k of keys) k.fill(0)
    for (let i = 0; i < keys.length; i++) expect(hex(await pool.sign(i, hashOf(i)))).toBe(expected[i])
  })

  test('refuses slots that are negative, fractional or past the end, and hashes that are not 32 bytes', async () => {
    const { pool } = setup({ workers: 0, keys: 2 })
    for (const slot of [-1, 0.5, 2, Number.NaN]) {
      await expect(pool.sign(slot, hashOf(0)), String(slot)).rejects.toThrow('no such key')
    }
    await expect(pool.sign(0, new Uint8Array(33))).rejects.toThrow('the hash is not 32 bytes')
    await expect(pool.sign(0, Array.from(hashOf(0)) as never)).rejects.toThrow('the hash is not 32 bytes')
    expect(hex(await pool.sign(1, hashOf(0)))).toMatch(/^0x[0-9a-f]{128}0[01]$/)
  })

  test('loads the engine once, at the first signature; closed while it loads, nothing is signed', async () => {
    const real = (await import('tiny-secp256k1')) as SecpEngine
    let loads = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const k = key()
    const pool = createSecpPool({
      privateKeys: [k],
      publicKeys: [publicKeyOf(k)],
      workers: 0,
      loadEngine: async () => {
        loads++
        await gate
        return real
      },
    })
    expect(loads).toBe(0)
    const first = Promise.all([pool.sign(0, hashOf(1)), pool.sign(0, hashOf(2))])
    release()
    const [a, b] = await first
    expect(hex(a)).toBe(await viemSignature(hashOf(1), k))
    expect(hex(b)).toBe(await viemSignature(hashOf(2), k))
    expect(loads).toBe(1)
    await pool.close()
    await pool.close()

    let open!: () => void
    const slow = new Promise<void>((resolve) => {
      open = resolve
    })
    const closing = createSecpPool({
      privateKeys: [k],
      publicKeys: [publicKeyOf(k)],
      workers: 0,
      loadEngine: async () => {
        await slow
        return real
      },
    })
    const waiting = closing.sign(0, hashOf(3))
    await closing.close()
    open()
    await expect(waiting).rejects.toThrow('the signer is closed')
    expect(closing.stats()).toEqual({ mainThread: 0, workers: 0, workersReady: 0 })
  })

  test('with no workers, a batch is signed on the main thread, each as viem', async () => {
    const { pool, privateKeys } = setup({ workers: 0, keys: 1 })
    const sigs = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.sign(0, hashOf(i))))
    for (let i = 0; i < 6; i++) expect(hex(sigs[i]!)).toBe(await viemSignature(hashOf(i), privateKeys[0]!))
    expect(pool.stats()).toEqual({ mainThread: 6, workers: 0, workersReady: 0 })
  })

  test('the default worker count is 1 to 4', () => {
    expect(defaultWorkerCount()).toBeGreaterThanOrEqual(1)
    expect(defaultWorkerCount()).toBeLessThanOrEqual(4)
  })
})

describe('createSecpPool: where signatures go', () => {
  /** Starts the workers and waits until they are ready and idle. */
  async function warm(pool: SecpPool, workers: number) {
    await untilWorkersSign(pool, 0)
    for (let i = 0; i < 200 && pool.stats().workersReady < workers; i++) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => pool.sign(0, hashOf(i * 8 + j))))
    }
    expect(pool.stats().workersReady).toBe(workers)
  }

  test('one worker: a batch fills it to 4, the main thread takes one, the rest queue on the worker', async () => {
    const { pool, privateKeys } = setup({ workers: 1, keys: 1 })
    await warm(pool, 1)
    for (const [size, main] of [
      [4, 0],
      [6, 1],
      [9, 1],
    ] as const) {
      const before = pool.stats()
      const hashes = Array.from({ length: size }, (_, i) => hashOf(5000 + size * 10 + i))
      const sigs = await Promise.all(hashes.map((h) => pool.sign(0, h)))
      for (let i = 0; i < size; i++)
        expect(hex(sigs[i]!)).toBe(await viemSignature(hashes[i]!, privateKeys[0]!))
      expect(pool.stats(), `batch of ${size}`).toEqual({
        mainThread: before.mainThread + main,
        workers: before.workers + size - main,
        workersReady: 1,
      })
    }
  })

  test('two workers share a batch: the least loaded takes the next, the main thread none below 4 each', async () => {
    const { pool } = setup({ workers: 2, keys: 1 })
    await warm(pool, 2)
    const before = pool.stats()
    await Promise.all(Array.from({ length: 8 }, (_, i) => pool.sign(0, hashOf(7000 + i))))
    expect(pool.stats()).toEqual({
      mainThread: before.mainThread,
      workers: before.workers + 8,
      workersReady: 2,
    })
    const again = pool.stats()
    await Promise.all(Array.from({ length: 9 }, (_, i) => pool.sign(0, hashOf(7100 + i))))
    expect(pool.stats()).toEqual({
      mainThread: again.mainThread + 1,
      workers: again.workers + 8,
      workersReady: 2,
    })
  })

  test('quiet means more than 20 ms since signatures last overlapped', async () => {
    const clock = fakeClock(1000)
    const { pool } = setup({ workers: 1, keys: 1, now: clock.now })
    await warm(pool, 1)
    clock.advance(20)
    let before = pool.stats()
    await pool.sign(0, hashOf(1))
    expect(pool.stats().workers).toBe(before.workers + 1)
    clock.advance(1)
    before = pool.stats()
    await pool.sign(0, hashOf(2))
    expect(pool.stats()).toMatchObject({ mainThread: before.mainThread + 1, workers: before.workers })
  })

  test('a worker that dies fails the signatures it held; then the main thread signs; close still ends', async () => {
    const { pool, privateKeys } = setup({ workers: 1, keys: 1, fault: 'exit' })
    let died: unknown
    for (let round = 0; round < 200 && died === undefined; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => pool.sign(0, hashOf(round * 6 + i))),
      )
      died = results.find((r) => r.status === 'rejected')
    }
    expect(String((died as PromiseRejectedResult).reason)).toMatch(/a signing worker exited \(7\)/)
    expect(pool.stats().workersReady).toBe(0)
    // Without a live worker, batches are the main thread's.
    const hashes = Array.from({ length: 5 }, (_, i) => hashOf(9000 + i))
    const sigs = await Promise.all(hashes.map((h) => pool.sign(0, h)))
    for (let i = 0; i < 5; i++) expect(hex(sigs[i]!)).toBe(await viemSignature(hashes[i]!, privateKeys[0]!))
    await pool.close()
  })
})
