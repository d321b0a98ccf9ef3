// A minimal JSON-RPC client over one WebSocket, and the timing loops every bench uses.
import WebSocket from 'ws'

/**
 * Opens `url` and resolves with `{ call(method, params), close() }`. `call` resolves with the whole
 * response ({ result } or { error }); it never rejects on a JSON-RPC error, only on a closed socket.
 * @param {string} url
 * An error answer with id null (no request to match) fails every pending call.
 * @param {{ protocols?: string[], headers?: Record<string, string> }} [options]
 */
export function connectRpc(url, { protocols = [], headers = {} } = {}) {
  const socket = new WebSocket(url, protocols, { headers, perMessageDeflate: false })
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)))
    socket.once('error', reject)
    socket.once('open', () => {
      socket.off('error', reject)
      let nextId = 1
      /** @type {Map<number, { resolve: (m: any) => void, reject: (e: Error) => void }>} */
      const pending = new Map()
      const failAll = (err) => {
        for (const p of pending.values()) p.reject(err)
        pending.clear()
      }
      socket.on('error', (err) => failAll(err))
      socket.on('close', (code) => failAll(new Error(`${url}: socket closed (${code})`)))
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data))
        if (msg.id === null && msg.error) {
          // An error that names no request (walletd refuses a frame over the per-connection budget
          // before parsing it): fail every pending call; a bench must not wait for lost answers.
          failAll(new Error(`${url}: answered id null: ${msg.error.code} ${msg.error.message}`))
          return
        }
        const p = pending.get(msg.id)
        if (p === undefined) return
        pending.delete(msg.id)
        p.resolve(msg)
      })
      resolve({
        call(method, params) {
          if (socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`${url}: not open`))
          const id = nextId++
          return new Promise((res, rej) => {
            pending.set(id, { resolve: res, reject: rej })
            socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? [] }))
          })
        },
        close() {
          if (socket.readyState === WebSocket.CLOSED) return Promise.resolve()
          return new Promise((res) => {
            const timer = setTimeout(() => {
              socket.terminate()
              res()
            }, 2000)
            socket.once('close', () => {
              clearTimeout(timer)
              res()
            })
            socket.close()
          })
        },
      })
    })
  })
}

/** The answer's result; throws when the daemon answered an error (a bench of errors measures nothing). */
export function resultOf(response, what) {
  if (response.error) {
    throw new Error(`${what} answered error ${response.error.code}: ${response.error.message}`)
  }
  return response.result
}

/** p-th percentile (0..1) of sorted samples. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * One request at a time: `count` requests after `warmup`, stopping early after `maxMs`.
 * Latencies in µs: p50, p99; and the sequential rate.
 * @param {(i: number) => Promise<unknown>} fn
 */
export async function sequential(fn, { count = 1000, warmup = 100, maxMs = 10_000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(i)
  const samples = new Float64Array(count)
  const started = performance.now()
  let n = 0
  while (n < count && performance.now() - started < maxMs) {
    const t = performance.now()
    await fn(n)
    samples[n] = (performance.now() - t) * 1000
    n++
  }
  const totalMs = performance.now() - started
  const sorted = samples.subarray(0, n).sort()
  return {
    n,
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    opsPerSec: (n / totalMs) * 1000,
  }
}

/**
 * `concurrency` requests in flight (closed loop: each answer sends the next) until `count` are
 * answered or `maxMs` passed. Requests per second over the whole run, and latency p50.
 * `fn(i, w)` gets the request's index and its loop's (0 … concurrency-1).
 * @param {(i: number, w: number) => Promise<unknown>} fn
 */
export async function inFlight(fn, { concurrency = 64, count = 5000, warmup = 200, maxMs = 10_000 } = {}) {
  for (let i = 0; i < warmup; i += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, warmup - i) }, (_, k) => fn(i + k, k)))
  }
  let next = 0
  let done = 0
  const samples = new Float64Array(count)
  const started = performance.now()
  const worker = async (_, w) => {
    while (next < count && performance.now() - started < maxMs) {
      const i = next++
      const t = performance.now()
      await fn(i, w)
      samples[done++] = (performance.now() - t) * 1000
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const totalMs = performance.now() - started
  const sorted = samples.subarray(0, done).sort()
  return { n: done, opsPerSec: (done / totalMs) * 1000, p50Us: percentile(sorted, 0.5) }
}
