import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * Frames refused before parsing (connection budget, in-flight cap, HTTP per-origin budget) are
 * counted per frame in metrics but logged once per burst per origin, not once per frame.
 */
let d: TestDaemon
const approver = createScriptedApprover([], 'approve')

type Reply = { id?: unknown; error?: { code: number; data?: { limit?: string } } }
type Line = { level: number; msg: string; origin?: string; limit?: string; refusals?: number }

const refusalLines = (origin: string, limitPrefix: string) =>
  d
    .logText()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.msg === 'rate limit exceeded' && l.origin === origin && l.limit?.startsWith(limitPrefix))

const rateLimited = async (limitPrefix: string) => {
  const metric = await d.daemon.services.metrics.rateLimited.get()
  return metric.values
    .filter((v) => String(v.labels.limit).startsWith(limitPrefix))
    .reduce((n, v) => n + v.value, 0)
}

const frame = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_chainId' })

beforeAll(async () => {
  d = await startTestDaemon({
    approver,
    config: {
      // 20 frames at once, then one per 20 s: nothing refills during a test. Lines are quiet for
      // 10 minutes after the first, so one burst is exactly one line.
      rateLimit: { connection: { burst: 20, perSecond: 0.05 }, logQuietMs: 600_000 },
      connections: { maxInFlightPerConnection: 2 },
    },
  })
})
afterAll(async () => {
  await d?.close()
})

describe('frame refusals are logged once per burst', () => {
  test('a WebSocket flood, on one socket and then on a second one of the same origin, is one line', async () => {
    const origin = 'https://frame-flood.example'
    const before = await rateLimited('connection:')
    let refused = 0
    for (let s = 0; s < 2; s++) {
      const client = await d.connect({ origin })
      const replies = (await Promise.all(
        Array.from({ length: 100 }, (_, i) => client.raw(frame(i))),
      )) as Reply[]
      const here = replies.filter((r) => r.error?.data?.limit?.startsWith('connection:'))
      expect(here.length).toBe(80)
      for (const r of here) expect(r.error!.code).toBe(-32005)
      refused += here.length
      await client.close()
    }
    expect(await rateLimited('connection:')).toBe(before + refused)
    const lines = refusalLines(origin, 'connection:')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, refusals: 1 })

    // Another origin's flood is its own burst: its own line.
    const other = await d.connect({ origin: 'https://other-flood.example' })
    await Promise.all(Array.from({ length: 30 }, (_, i) => other.raw(frame(i))))
    await other.close()
    expect(refusalLines('https://other-flood.example', 'connection:')).toHaveLength(1)
    expect(refusalLines(origin, 'connection:')).toHaveLength(1)
  })

  test('the in-flight cap: many refusals, one line', async () => {
    const origin = 'https://inflight.example'
    const before = await rateLimited('inflight')
    approver.push('hang', 'hang')
    const client = await d.connect({ origin })
    // Two requests wait on the approver (in flight), the next frames are refused at once.
    void client.call('eth_requestAccounts')
    void client.call('eth_requestAccounts')
    for (let i = 0; i < 100 && approver.seen.filter((r) => r.origin === origin).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    const replies = (await Promise.all(
      Array.from({ length: 10 }, (_, i) => client.raw(frame(100 + i))),
    )) as Reply[]
    expect(replies.every((r) => r.error?.data?.limit === 'inflight')).toBe(true)
    expect(await rateLimited('inflight')).toBe(before + 10)
    expect(refusalLines(origin, 'inflight')).toHaveLength(1)
    await client.close()
  })

  test('an HTTP flood of one origin is one line', async () => {
    const origin = 'https://http-flood.example'
    const before = await rateLimited('connection:')
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        d.post({ jsonrpc: '2.0', id: i, method: 'eth_chainId' }, { origin }),
      ),
    )
    const refused = replies.filter((r) => r.body?.error?.data?.limit?.startsWith('connection:'))
    expect(refused.length).toBe(20)
    expect(await rateLimited('connection:')).toBe(before + 20)
    const lines = refusalLines(origin, 'connection:')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, refusals: 1 })
    // The HTTP budget is per origin: a second origin still has its own.
    const other = await d.post(
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { origin: 'https://http-other.example' },
    )
    expect(other.body.result).toBe('0x7a69')
  })
})
