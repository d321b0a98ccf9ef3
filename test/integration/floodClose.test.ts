import { afterAll, beforeAll, expect, test } from 'vitest'
import { fakeClock } from '../helpers/fakeClock.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * A client that ignores its -32005 answers and keeps flooding is disconnected (1008) after a run
 * of consecutive refused frames; a well-behaved origin is served meanwhile. The daemon runs on a
 * fake clock: buckets refill only when the test moves time, so the counts are exact.
 */
let d: TestDaemon
const clock = fakeClock(1_000_000)
beforeAll(async () => {
  d = await startTestDaemon({
    now: clock.now,
    config: { rateLimit: { connection: { burst: 10, perSecond: 1 } } },
  })
})
afterAll(async () => {
  await d?.close()
})

test('a connection that keeps flooding past its refusals is closed; others keep working', async () => {
  const flooder = await d.connect({ origin: 'https://flooder.example' })
  const polite = await d.connect({ origin: 'https://polite.example' })
  const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })
  let sent = 0
  while (flooder.socket.readyState === flooder.socket.OPEN && sent < 5000) {
    flooder.socket.send(frame)
    sent++
    // Yield now and then, so the daemon's close can arrive and end the loop.
    if (sent % 200 === 0) await new Promise((r) => setImmediate(r))
  }
  const { code, reason } = await flooder.closed
  expect(code).toBe(1008)
  expect(reason).toBe('rate limit exceeded')
  // 10 frames of burst, then 1,000 refusals of flood tolerance (max(1000, 8 × burst)): the next closes.
  expect(sent).toBeGreaterThan(1010)
  expect((await polite.call('eth_chainId')).result).toBe('0x7a69')
  const metrics = await (await fetch(`${d.baseUrl}/metrics`)).text()
  expect(metrics).toMatch(/walletd_connections_total\{outcome="closed_flooding"\} 1/)
  await polite.close()
})

test('a client that backs off after refusals is not closed', async () => {
  const c = await d.connect({ origin: 'https://backoff.example' })
  for (let round = 0; round < 3; round++) {
    const replies = await Promise.all(Array.from({ length: 30 }, () => c.call('eth_chainId')))
    const refused = replies.filter((r) => r.error?.code === -32005)
    // Each round: the 10 frames its bucket holds pass, 20 are refused.
    expect(refused).toHaveLength(20)
    // The client backs off for a minute: its frame bucket, and its flood tolerance, refill.
    clock.advance(60_000)
  }
  expect(c.socket.readyState).toBe(c.socket.OPEN)
  await c.close()
})
