import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * A subscriber that never reads is closed once its unsent data passes
 * `connections.maxBufferedBytes`, instead of being buffered without bound. Its own Anvil: this
 * test mines thousands of blocks.
 */
let anvil: AnvilInstance
let d: TestDaemon

beforeAll(async () => {
  anvil = await startAnvil({ port: 0 })
  d = await startTestDaemon({
    upstreamUrl: anvil.wsUrl,
    config: { connections: { maxBufferedBytes: 64 * 1024 } },
  })
})
afterAll(async () => {
  await d?.close()
  await anvil?.stop()
})

async function anvilRpc(method: string, params: unknown[] = []) {
  const res = await fetch(anvil.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return ((await res.json()) as { result: unknown }).result
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${d.baseUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(name))
  return line ? Number(line.split(' ').pop()) : 0
}

test('a non-reading newHeads subscriber is closed; a reading one keeps its subscription; memory stays bounded', async () => {
  const slow = await d.connect({ origin: 'https://slow.example' })
  const fast = await d.connect({ origin: 'https://fast.example' })
  const subSlow = await slow.call('eth_subscribe', ['newHeads'])
  const subFast = await fast.call('eth_subscribe', ['newHeads'])
  expect(typeof subSlow.result).toBe('string')
  expect(typeof subFast.result).toBe('string')
  // The slow client stops reading from its TCP socket.
  ;(slow.socket as unknown as { _socket: { pause(): void } })._socket.pause()
  const rssBefore = process.memoryUsage().rss

  let closedBySlowReader = 0
  for (let round = 0; round < 20 && closedBySlowReader === 0; round++) {
    await anvilRpc('anvil_mine', ['0x7d0']) // 2000 blocks → 2000 heads per subscriber
    closedBySlowReader = await metric('walletd_connections_total{outcome="slow_reader"}')
  }
  expect(closedBySlowReader).toBe(1)

  // The reading client is still served and still subscribed.
  expect((await fast.call('eth_chainId')).result).toBe('0x7a69')
  const seen = fast.notifications.length
  await anvilRpc('evm_mine')
  await fast.waitForNotification(
    (n) => n.method === 'eth_subscription' && fast.notifications.indexOf(n) >= seen,
  )
  // The slow client's socket was terminated by the daemon.
  ;(slow.socket as unknown as { _socket: { resume(): void } })._socket.resume()
  const { code } = await slow.closed
  expect(code).toBe(1006)
  // Memory did not grow with the heads the slow reader did not take (generous bound: no unbounded buffer).
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024)
  await fast.close()
})
