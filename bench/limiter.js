// Micro-benchmark of the rate limiter (src/ratelimit), run after `npm run build` by bench/run.js.
// Prints nothing: returns numbers. Uses a fake clock so the work measured is the limiter's own.
import { readFileSync } from 'node:fs'
import { createRequestLimiter } from '../dist/ratelimit/createRequestLimiter.js'
import { createTieredBucket } from '../dist/ratelimit/createTieredBucket.js'

// The shipped defaults (config/default.json), so the numbers follow the configuration.
const defaultConfig = JSON.parse(
  readFileSync(new URL('../config/default.json', import.meta.url), 'utf8'),
).rateLimit

/** ns per call of `fn(i)` over `n` calls, best of `rounds` (after one warm-up round). */
function measure(n, rounds, fn) {
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r <= rounds; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn(i)
    const ns = Number(process.hrtime.bigint() - start) / n
    if (r > 0 && ns < best) best = ns
  }
  return best
}

const requestsFor = (n) =>
  Array.from({ length: n }, (_, i) => ({
    origin: `https://app${i}.site${i % 97}.example`,
    method: 'eth_call',
    cost: 'read',
    connId: 'c1',
  }))

/**
 * - nsPerCheck: one `take()` that passes (origin, domain and global buckets), 50 busy origins.
 * - nsPerCheckChurn: the same with 1000 origins each seen once a second, so every take finds its
 *   bucket forgotten (full again) and makes a new one: the worst case of the allowed path.
 * - nsPerRefusal: one refused `take()` (all buckets checked, nothing taken).
 * - nsPerFrame: one `takeFrame()`; nsPerBucketTake: one three-tier bucket on its own.
 * - bytesPerKey: heap per origin (origin + domain bucket + domain cache entry); null without --expose-gc.
 * @param {{ iterations?: number, rounds?: number }} [options]
 */
export async function benchLimiter({ iterations = 1_000_000, rounds = 3 } = {}) {
  // Allowed path: 1 ms per request keeps every bucket (origin 20/s, domain, global 1000/s) in budget.
  const busy = requestsFor(50)
  let t = 0
  const limiter = createRequestLimiter({ config: defaultConfig, now: () => t })
  let allowed = 0
  const nsPerCheck = measure(iterations, rounds, (i) => {
    t += 1
    if (limiter.take(busy[i % 50]).ok) allowed++
  })
  const allowedRatio = allowed / (iterations * (rounds + 1))

  const origins = 1000
  const requests = requestsFor(origins)
  let tc = 0
  const churn = createRequestLimiter({ config: defaultConfig, now: () => tc })
  const nsPerCheckChurn = measure(iterations, rounds, (i) => {
    tc += 1
    churn.take(requests[i % origins])
  })

  // Refused path: a frozen clock after the global bucket is drained.
  const frozen = createRequestLimiter({ config: defaultConfig, now: () => 0 })
  for (let i = 0; i < 5000; i++) frozen.take(requests[i % origins])
  const nsPerRefusal = measure(iterations, rounds, (i) => frozen.take(requests[i % origins]))

  // Frames: one bucket per connection.
  let tf = 0
  const frames = createRequestLimiter({ config: defaultConfig, now: () => tf })
  const connIds = Array.from({ length: 256 }, (_, i) => `conn-${i}`)
  const nsPerFrame = measure(iterations, rounds, (i) => {
    tf += 1
    frames.takeFrame(connIds[i % 256])
  })

  // One tiered bucket (three tiers), the unit cost.
  let tb = 0
  const bucket = createTieredBucket({ tiers: defaultConfig.classes.read, now: () => tb })
  const nsPerBucketTake = measure(iterations, rounds, () => {
    tb += 10
    bucket.take()
  })

  // Memory per origin key (origin bucket, domain bucket, domain cache entry), when gc is exposed.
  let bytesPerKey = null
  if (typeof globalThis.gc === 'function') {
    const keys = 10_000
    globalThis.gc()
    const before = process.memoryUsage().heapUsed
    const tm = 0
    const roomy = { ...defaultConfig, global: { burst: 1e9, perSecond: 1e6 } }
    const big = createRequestLimiter({ config: roomy, now: () => tm })
    for (let i = 0; i < keys; i++) {
      big.take({ origin: `https://o${i}.example`, method: 'eth_call', cost: 'read', connId: 'c' })
    }
    globalThis.gc()
    bytesPerKey = (process.memoryUsage().heapUsed - before) / keys
    if (big.stats().originKeys !== keys) bytesPerKey = null
  }

  return {
    nsPerCheck,
    nsPerCheckChurn,
    nsPerRefusal,
    nsPerFrame,
    nsPerBucketTake,
    bytesPerKey,
    allowedRatio,
    iterations,
  }
}
