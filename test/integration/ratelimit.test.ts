import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { fakeClock } from '../helpers/fakeClock.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Rate limits over real sockets against a whole daemon (in this process, on a fake clock so that
 * no bucket refills unless the test moves time): floods are refused with -32005 and an exact
 * retryAfterMs, other origins keep working, and the daemon's heap stays flat through repeated
 * floods. The budgets are set here (tight ones, as a user would set them for a metered node): the
 * defaults are sized for local use and a loop of reads never reaches them.
 */
const LIMITS = {
  classes: { read: { burst: 200, perSecond: 100, perMinute: 3000, perHour: 100_000 } },
  connection: { burst: 400, perSecond: 200 },
  global: { burst: 2000, perSecond: 1000 },
}

let d: TestDaemon
const clock = fakeClock(1_000_000)

// The daemon runs in this process: its memory is this process's memory. Expose gc to measure it.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function memory() {
  gc()
  gc()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}

const MiB = 1024 * 1024

type Reply = { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: any } }

const batch = (n: number, method = 'eth_chainId', offset = 0) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: offset + i, method })))

/** Sends `frames` batch frames at once on one socket; resolves with every element's reply. */
async function flood(client: RpcClient, frames: number, perFrame: number): Promise<Reply[]> {
  const sent = Array.from({ length: frames }, (_, f) =>
    client.raw(batch(perFrame, 'eth_chainId', f * perFrame)),
  )
  const replies = await Promise.all(sent)
  return replies.flatMap((r) => (Array.isArray(r) ? (r as Reply[]) : [r as Reply]))
}

const chainIdCalls = async () => {
  const metric = await d.daemon.services.metrics.requestsTotal.get()
  return metric.values.filter((v) => v.labels.method === 'eth_chainId').reduce((n, v) => n + v.value, 0)
}

beforeAll(async () => {
  // Info level: the sink keeps every line in this process's heap, which is measured here.
  d = await startTestDaemon({ now: clock.now, logLevel: 'info', config: { rateLimit: LIMITS } })
})
// Every test starts with full buckets: an hour passes between tests.
afterEach(() => clock.advance(3_600_000))
afterAll(async () => {
  await d?.close()
})

describe('rate limits over real sockets', () => {
  test('one origin flooding is throttled with -32005 { retryAfterMs, limit } while another origin keeps working', async () => {
    const before = memory()
    const attacker = await d.connect({ origin: 'https://flood.example' })
    const friend = await d.connect({ origin: 'https://friend.example' })

    // 1000 requests (10 frames of 100) at once, against a read burst of 200 refilled at 100/s;
    // the friend's 100 requests are sent in the middle of the flood.
    const [flooded, friendly] = await Promise.all([flood(attacker, 10, 100), flood(friend, 1, 100)])

    expect(flooded).toHaveLength(1000)
    const passed = flooded.filter((r) => r.result === '0x7a69')
    const refused = flooded.filter((r) => r.error)
    // The clock does not move: exactly the burst passes, nothing more.
    expect(passed).toHaveLength(200)
    expect(refused).toHaveLength(800)
    for (const r of refused) {
      expect(r.error!.code).toBe(-32005)
      expect(r.error!.data.limit).toMatch(/^origin:read:per(Second|Minute|Hour)$/)
      expect(Number.isInteger(r.error!.data.retryAfterMs)).toBe(true)
      expect(r.error!.data.retryAfterMs).toBeGreaterThan(0)
    }

    // The other origin was not charged for the flood: every one of its requests succeeded.
    expect(friendly).toHaveLength(100)
    expect(friendly.every((r) => r.result === '0x7a69')).toBe(true)

    // Refusals were counted by limit in metrics, and logged once per burst, not per request.
    const counted = (await d.daemon.services.metrics.rateLimited.get()).values
      .filter((v) => String(v.labels.limit).startsWith('origin:read:'))
      .reduce((n, v) => n + v.value, 0)
    expect(counted).toBeGreaterThanOrEqual(refused.length)
    const lines = d
      .logText()
      .split('\n')
      .filter((l) => l.includes('rate limit exceeded') && l.includes('flood.example'))
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(lines.length).toBeLessThanOrEqual(3)

    // The advertised wait is exact: a millisecond short is still refused, then the next one passes.
    const wait = Math.max(...refused.map((r) => r.error!.data.retryAfterMs as number))
    expect(wait).toBe(10) // one token at 100/s
    clock.advance(wait - 1)
    expect((await attacker.call('eth_chainId')).error?.code).toBe(-32005)
    clock.advance(1)
    expect((await attacker.call('eth_chainId')).result).toBe('0x7a69')

    // The heap stays flat: ten more floods of 1,000 refused requests (10,000 in all) leave less
    // than 4 MiB behind. A leak of 400 bytes per refusal would show.
    const warm = memory()
    for (let round = 0; round < 10; round++) {
      const more = await flood(attacker, 10, 100)
      expect(more.every((r) => r.error?.code === -32005)).toBe(true)
    }
    expect(memory().heapUsed - warm.heapUsed).toBeLessThan(4 * MiB)

    await attacker.close()
    await friend.close()
    expect(memory().heapUsed - before.heapUsed).toBeLessThan(8 * MiB)
  })

  test('subdomains of one registrable domain share one budget over real sockets', async () => {
    const a = await d.connect({ origin: 'https://a.evil.example' })
    const b = await d.connect({ origin: 'https://b.evil.example' })
    const c = await d.connect({ origin: 'https://c.evil.example' })
    // Each origin may take its burst of 200; the domain, 2 × 200, for all of them together.
    const ra = await flood(a, 3, 100)
    const rb = await flood(b, 3, 100)
    const rc = await flood(c, 3, 100)
    const ok = (rs: Reply[]) => rs.filter((r) => r.result !== undefined).length
    expect(ok(ra)).toBe(200)
    expect(ok(ra) + ok(rb) + ok(rc)).toBe(400)
    expect(rc.some((r) => r.error?.data?.limit?.startsWith('domain:read:'))).toBe(true)
    await Promise.all([a.close(), b.close(), c.close()])
  })

  test('a 10,000-element batch is refused with one -32005 error without running its elements', async () => {
    const before = memory()
    const client = await d.connect({ origin: 'https://batch.example' })
    const callsBefore = await chainIdCalls()
    const reply = (await client.raw(batch(10_000))) as Reply
    expect(Array.isArray(reply)).toBe(false)
    expect(reply.error?.code).toBe(-32005)
    expect(reply.error?.data).toMatchObject({ limit: 'batch' })
    // No element ran: nothing was counted, and the origin's budget is untouched.
    expect(await chainIdCalls()).toBe(callsBefore)
    const next = await flood(client, 1, 100)
    expect(next.every((r) => r.result === '0x7a69')).toBe(true)

    // Repeating it stays cheap and flat: 20 more 10,000-element batches (a ~400 KB frame each) leave
    // less than 4 MiB behind.
    const warm = memory()
    for (let i = 0; i < 20; i++) expect(((await client.raw(batch(10_000))) as Reply).error?.code).toBe(-32005)
    expect(memory().heapUsed - warm.heapUsed).toBeLessThan(4 * MiB)
    await client.close()
    expect(memory().heapUsed - before.heapUsed).toBeLessThan(8 * MiB)
  })

  test('500 sockets from one origin hit the per-origin cap before the upgrade; the daemon stays healthy', async () => {
    const before = memory()
    const cap = d.daemon.services.config.connections.maxPerOrigin
    const open: RpcClient[] = []
    const statuses: number[] = []
    for (let chunk = 0; chunk < 500; chunk += 25) {
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, () => d.connect({ origin: 'https://sockets.example' })),
      )
      for (const r of results) {
        if (r.status === 'fulfilled') open.push(r.value)
        else statuses.push((r.reason as { statusCode?: number }).statusCode ?? -1)
      }
    }
    expect(open).toHaveLength(cap)
    expect(statuses).toHaveLength(500 - cap)
    expect(statuses.every((s) => s === 429)).toBe(true)

    // Healthy: the open sockets work, other origins connect, /health answers.
    expect((await open[0]!.call('eth_chainId')).result).toBe('0x7a69')
    const other = await d.connect({ origin: 'https://other.example' })
    expect((await other.call('eth_chainId')).result).toBe('0x7a69')
    expect((await fetch(`${d.baseUrl}/health`)).status).toBe(200)

    // Closing frees the origin's slots.
    await Promise.all(open.map((c) => c.close()))
    await other.close()
    const again = await d.connect({ origin: 'https://sockets.example' })
    expect((await again.call('eth_chainId')).result).toBe('0x7a69')
    await again.close()

    // 480 sockets refused and 16 opened and closed leave less than 8 MiB of heap behind (RSS is
    // not measured: the allocator keeps freed pages, so it would say nothing).
    expect(memory().heapUsed - before.heapUsed).toBeLessThan(8 * MiB)
  })

  test('frames beyond the connection budget are refused before parsing', async () => {
    const client = await d.connect({ origin: 'https://frames.example' })
    // 600 tiny frames at once against a frame burst of 400 (refilled at 200/s).
    const replies = (await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        client.raw(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })),
      ),
    )) as Reply[]
    const byConnection = replies.filter((r) => r.error?.data?.limit?.startsWith('connection:'))
    // Exactly the frames past the burst of 400: the clock does not move.
    expect(byConnection).toHaveLength(200)
    for (const r of byConnection) {
      expect(r.error!.code).toBe(-32005)
      expect(r.error!.data.retryAfterMs).toBeGreaterThan(0)
    }
    await client.close()
  })
})
