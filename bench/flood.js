// Bounded flood (issue 4): against a walletd process with its default rate limits, a
// well-behaved origin sends paced reads, first alone, then while another origin floods from
// several connections (a worker thread). Loopback only; the flood stops after a few seconds.
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { connectRpc, percentile } from './wsRpc.js'

/**
 * The well-behaved origin: `ratePerSec` requests scheduled evenly over `windowMs`, at most
 * `concurrency` in flight (a late answer delays the next send, as it would for a real client).
 * Served requests per second = successful answers ÷ time until the last answer (≥ the window).
 */
async function pacedReads(client, { ratePerSec, concurrency, windowMs }) {
  const interval = 1000 / ratePerSec
  const total = Math.floor(windowMs / interval)
  const latencies = []
  let next = 0
  let ok = 0
  let refused = 0
  let errors = 0
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const i = next++
      const wait = started + i * interval - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const t = performance.now()
      const res = await client.call('eth_blockNumber')
      latencies.push((performance.now() - t) * 1000)
      if (!res.error) ok++
      else if (res.error.code === -32005) refused++
      else errors++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = Math.max(windowMs, performance.now() - started)
  latencies.sort((a, b) => a - b)
  return {
    sent: total,
    ok,
    refused,
    errors,
    servedPerSec: (ok / elapsedMs) * 1000,
    p50Us: percentile(latencies, 0.5),
    p99Us: percentile(latencies, 0.99),
  }
}

/**
 * @param {{ daemon: { wsUrl: string, token: string }, ratePerSec?: number, concurrency?: number,
 *   windowMs?: number, floodConnections?: number, floodConcurrency?: number, floodLeadMs?: number,
 *   maxFloodRequests?: number }} options
 */
export async function benchFlood({
  daemon,
  ratePerSec = 80,
  concurrency = 4,
  windowMs = 4000,
  floodConnections = 4,
  floodConcurrency = 64,
  floodLeadMs = 500,
  maxFloodRequests = 1_000_000,
}) {
  const good = await connectRpc(daemon.wsUrl, {
    protocols: ['walletd.v1', `walletd.token.${daemon.token}`],
    headers: { origin: 'https://good.example' },
  })
  try {
    await pacedReads(good, { ratePerSec, concurrency, windowMs: 250 }) // warm-up
    const alone = await pacedReads(good, { ratePerSec, concurrency, windowMs })

    const worker = new Worker(new URL('./floodWorker.js', import.meta.url), {
      workerData: {
        url: daemon.wsUrl,
        token: daemon.token,
        origin: 'https://flood.example',
        connections: floodConnections,
        concurrency: floodConcurrency,
        durationMs: floodLeadMs + windowMs + 1000,
        maxRequests: maxFloodRequests,
      },
    })
    const done = new Promise((resolve, reject) => {
      worker.on('message', (msg) => msg.type === 'done' && resolve(msg))
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`flood worker exited (${code}) before reporting`)))
    })
    done.catch(() => {})
    let during
    try {
      const [msg] = await once(worker, 'message')
      if (msg.type !== 'started') throw new Error('flood worker did not start')
      await new Promise((r) => setTimeout(r, floodLeadMs))
      during = await pacedReads(good, { ratePerSec, concurrency, windowMs })
      worker.postMessage('stop')
    } catch (err) {
      await worker.terminate()
      throw err
    }
    const flood = await done
    await worker.terminate()
    return {
      ratePerSec,
      concurrency,
      windowMs,
      floodConnections,
      floodConcurrency,
      alone,
      during,
      flood: {
        ...flood.counts,
        elapsedMs: flood.elapsedMs,
        perSec: (flood.counts.sent / flood.elapsedMs) * 1000,
      },
    }
  } finally {
    await good.close()
  }
}
