import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { checkedSign } from './checkedSign.js'
import type { SecpEngine, WorkerEngine } from './types.js'
import { workerScript } from './workerScript.js'

export type CreateSecpPoolOptions = {
  /** 32-byte private keys, one per slot; copied (the caller zeroes its own). */
  privateKeys: readonly Uint8Array[]
  /** The matching uncompressed public keys (65 bytes), computed independently of the engine. */
  publicKeys: readonly Uint8Array[]
  /** The main thread's engine, loaded on the first signature. Default: `tiny-secp256k1`. */
  loadEngine?: () => Promise<SecpEngine>
  /**
   * Worker threads for concurrent signatures, started when two signatures first wait at once.
   * Default: one fewer than the machine's cores, at least 1, at most 4. 0: the main thread only.
   */
  workers?: number
  /** What the workers load as their engine. Default: `tiny-secp256k1` (its CommonJS build). */
  workerEngine?: WorkerEngine
  /** Monotonic clock (ms). Default `performance.now`. */
  now?: () => number
}

export interface SecpPool {
  /** `r ‖ s ‖ yParity` (65 bytes) of `hash` by the key in `slot`, checked before it is returned. */
  sign(slot: number, hash: Uint8Array): Promise<Uint8Array>
  /** Signatures made so far on the main thread and in the workers; workers started and ready. */
  stats(): { mainThread: number; workers: number; workersReady: number }
  /** Zeroes the keys (here and in the workers) and ends the workers; later signatures reject. */
  close(): Promise<void>
}

type Job = {
  slot: number
  hash: Uint8Array
  resolve: (signature: Uint8Array) => void
  reject: (err: Error) => void
}

type WorkerState = {
  worker: Worker
  ready: boolean
  dead: boolean
  jobs: Map<number, Job>
}

/**
 * Under load the main thread signs one of a batch only when every worker already has this many
 * signatures queued: it also carries every request's I/O and pipeline, so it signs only when the
 * workers are well behind (measured: at 1 worker on 2 cores, signing whenever the worker was busy
 * left the worker 60% idle and the main thread saturated).
 */
const MAIN_THREAD_TAKES_AT = 4

/**
 * How long after signatures last overlapped a lone one still goes to a worker: under a steady load
 * the requests arrive one by one (each answer sends the next), and signing those on the main
 * thread would take it from the I/O and pipeline of all the others.
 */
const QUIET_MS = 20

/** At most this many signing workers, whatever the core count (each is an isolate of ~10 MiB). */
const MAX_WORKERS = 4

export function defaultWorkerCount(): number {
  return Math.min(MAX_WORKERS, Math.max(1, availableParallelism() - 1))
}

/**
 * Signs with libsecp256k1 (WebAssembly) on the main thread and on worker threads. A lone signature
 * while the signer is quiet (no two signatures overlapped for `QUIET_MS`) is signed on the main
 * thread: faster than a hop to a worker. Under load, signatures go to the least-loaded worker, and
 * the main thread takes one of a batch only when every worker is `MAIN_THREAD_TAKES_AT` behind.
 * Requests are gathered until the event loop's check phase (`setImmediate`), so those that
 * arrived in one read of the sockets are seen together. Every signature, wherever it is made,
 * passes `checkedSign`.
 *
 * Keys stay in the process: the workers get a copy once, in a transferred buffer, and zero it on
 * `close`. The engine and the workers load lazily: the engine at the first signature, the workers
 * when concurrency first shows, so a daemon that never signs pays for neither.
 */
export function createSecpPool(options: CreateSecpPoolOptions): SecpPool {
  const count = options.privateKeys.length
  if (options.publicKeys.length !== count) throw new Error('createSecpPool: one public key per key')
  const keys = new Uint8Array(32 * count)
  const publicKeys = new Uint8Array(65 * count)
  options.privateKeys.forEach((key, i) => {
    if (key.length !== 32) throw new Error('createSecpPool: private keys are 32 bytes')
    keys.set(key, 32 * i)
  })
  options.publicKeys.forEach((key, i) => {
    if (key.length !== 65) throw new Error('createSecpPool: public keys are 65 bytes (uncompressed)')
    publicKeys.set(key, 65 * i)
  })
  const workerCount = options.workers ?? defaultWorkerCount()
  const now = options.now ?? (() => performance.now())
  /** When signatures last overlapped (a batch of two or more, or one while a worker was busy). */
  let overlappedAt = Number.NEGATIVE_INFINITY
  const loadEngine = options.loadEngine ?? loadTinySecp
  let engine: SecpEngine | null = null
  let engineLoading: Promise<SecpEngine> | null = null
  let workers: WorkerState[] | null = null
  let nextId = 1
  let closed = false
  const queue: Job[] = []
  let scheduled = false
  let signedHere = 0
  let signedInWorkers = 0

  function keyOf(slot: number) {
    return keys.subarray(32 * slot, 32 * slot + 32)
  }

  function runHere(job: Job) {
    signedHere++
    try {
      job.resolve(
        checkedSign(
          engine!,
          keyOf(job.slot),
          publicKeys.subarray(65 * job.slot, 65 * job.slot + 65),
          job.hash,
        ),
      )
    } catch (err) {
      job.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  function startWorkers(): WorkerState[] {
    const engineSpec = options.workerEngine ?? {
      module: createRequire(import.meta.url).resolve('tiny-secp256k1'),
    }
    const script = workerScript()
    const started: WorkerState[] = []
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(script, {
        eval: true,
        workerData: engineSpec,
        // Nothing the worker does needs more: a small isolate.
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
        stdout: false,
        stderr: false,
      })
      worker.unref()
      const state: WorkerState = { worker, ready: false, dead: false, jobs: new Map() }
      const fail = (err: Error) => {
        if (state.dead) return
        state.dead = true
        state.ready = false
        for (const job of state.jobs.values()) job.reject(err)
        state.jobs.clear()
      }
      worker.on('message', (message: { type?: string; id?: number; signature?: unknown; error?: string }) => {
        if (message.type === 'ready') {
          state.ready = !state.dead
          return
        }
        const job = state.jobs.get(message.id!)
        if (!job) return
        state.jobs.delete(message.id!)
        const signature = message.signature
        if (message.error !== undefined) job.reject(new Error(message.error))
        else if (
          signature instanceof Uint8Array &&
          signature.length === 65 &&
          (signature[64] === 0 || signature[64] === 1)
        ) {
          signedInWorkers++
          job.resolve(signature)
        } else job.reject(new Error('a signing worker answered something that is not a signature'))
      })
      worker.on('error', (err) => fail(err))
      worker.on('exit', (code) => fail(new Error(`a signing worker exited (${code})`)))
      // A copy of the keys, moved into the message (the transferred buffer is detached here).
      const copy = keys.slice()
      worker.postMessage({ type: 'keys', keys: copy, publicKeys }, [copy.buffer])
      started.push(state)
    }
    return started
  }

  function flush() {
    scheduled = false
    const jobs = queue.splice(0)
    if (jobs.length === 0) return
    try {
      dispatch(jobs)
    } catch (err) {
      // Never leave a request waiting: whatever was not handed out fails.
      const error = err instanceof Error ? err : new Error(String(err))
      for (const job of jobs) job.reject(error)
    }
  }

  function dispatch(jobs: Job[]) {
    const live = workers?.filter((w) => w.ready) ?? []
    const t = now()
    if (jobs.length > 1 || live.some((w) => w.jobs.size > 0)) overlappedAt = t
    else if (t - overlappedAt > QUIET_MS) {
      runHere(jobs[0]!)
      return
    }
    if (workerCount > 0 && workers === null) workers = startWorkers()
    if (live.length === 0) {
      for (const job of jobs) runHere(job)
      return
    }
    let here: Job | null = null
    for (const job of jobs) {
      let target = live[0]!
      for (const w of live) if (w.jobs.size < target.jobs.size) target = w
      if (target.jobs.size >= MAIN_THREAD_TAKES_AT && here === null) {
        here = job
        continue
      }
      const id = nextId++
      target.jobs.set(id, job)
      target.worker.postMessage({ id, slot: job.slot, hash: job.hash })
    }
    if (here) runHere(here)
  }

  return {
    async sign(slot, hash) {
      if (closed) throw new Error('the signer is closed')
      if (!Number.isInteger(slot) || slot < 0 || slot >= count) throw new Error('no such key')
      if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new Error('the hash is not 32 bytes')
      if (!engine) {
        engineLoading ??= loadEngine()
        engine = await engineLoading
        if (closed) throw new Error('the signer is closed')
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ slot, hash, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    stats: () => ({
      mainThread: signedHere,
      workers: signedInWorkers,
      workersReady: workers?.filter((w) => w.ready).length ?? 0,
    }),
    async close() {
      if (closed) return
      closed = true
      const err = new Error('the signer is closed')
      for (const job of queue.splice(0)) job.reject(err)
      keys.fill(0)
      const list = workers ?? []
      workers = []
      await Promise.all(
        list.map(async (w) => {
          for (const job of w.jobs.values()) job.reject(err)
          w.jobs.clear()
          if (w.dead) return
          const exited = new Promise<void>((resolve) => w.worker.once('exit', () => resolve()))
          w.worker.postMessage({ type: 'close' })
          const timer = setTimeout(() => void w.worker.terminate(), 1000)
          await exited
          clearTimeout(timer)
        }),
      )
    },
  }
}

/** libsecp256k1 compiled to WebAssembly (`tiny-secp256k1`), loaded on first use. */
async function loadTinySecp(): Promise<SecpEngine> {
  const secp = await import('tiny-secp256k1')
  return secp as SecpEngine
}
