import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import { connect } from '../helpers/wsClient.js'

/**
 * Wrong host tokens are not free to try: 2,000 of them are counted
 * (`walletd_auth_failures_total`), leave a couple of log lines, and past the failure budget
 * (`rateLimit.authFailures`, here 50 with no refill to speak of) are refused with 429 and
 * `Retry-After`, over HTTP and before WebSocket upgrades, while the correct token keeps working.
 */
let d: TestDaemon
const BUDGET = 50

beforeAll(async () => {
  d = await startTestDaemon({ config: { rateLimit: { authFailures: { burst: BUDGET, perSecond: 0.001 } } } })
})
afterAll(async () => {
  await d?.close()
})

const wrongToken = (i: number) => `wdt_${i.toString(36).padStart(43, 'x')}`
const body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' }

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${d.baseUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('failed authentications', () => {
  test('thousands of wrong tokens: counted, logged once per burst, throttled; the right token still works', async () => {
    const logBefore = d.logText().split('\n').length
    const statuses = new Map<number, number>()
    let retryAfter: string | null = null
    const attempt = async (i: number) => {
      const res = await fetch(d.httpUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${wrongToken(i)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      if (res.status === 429) retryAfter = res.headers.get('retry-after')
    }
    for (let i = 0; i < 2000; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => attempt(i + k)))
      if (i % 200 === 0) {
        // The valid client is never locked out, over HTTP …
        const ok = await d.post(body)
        expect(ok.status).toBe(200)
        expect(ok.body.result).toBe('0x7a69')
      }
    }
    expect(statuses.get(401)).toBe(BUDGET)
    expect(statuses.get(429)).toBe(2000 - BUDGET)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)

    expect(await metric('walletd_auth_failures_total', 'reason="invalid"')).toBe(2000)
    expect(await metric('walletd_connections_total', 'outcome="auth_throttled"')).toBe(2000 - BUDGET)

    const lines = d.logText().split('\n').slice(logBefore)
    const authLines = lines.filter((l) => l.includes('host-token authentication failed'))
    expect(authLines.length).toBeGreaterThanOrEqual(1)
    expect(authLines.length).toBeLessThanOrEqual(2)
    expect(d.logText()).not.toContain(wrongToken(7))

    // … and over WebSocket, where a wrong token is refused with 429 before the upgrade.
    const c = await d.connect()
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
    await c.close()
    await expect(connect(d.wsUrl, { token: wrongToken(1), origin: TEST_ORIGIN })).rejects.toMatchObject({
      statusCode: 429,
    })
    // Missing and malformed tokens are throttled too (and counted by reason).
    expect((await d.post(body, { token: null })).status).toBe(429)
    expect((await d.post(body, { token: 'not-a-token' })).status).toBe(429)
    expect(await metric('walletd_auth_failures_total', 'reason="missing"')).toBe(1)
    expect(await metric('walletd_auth_failures_total', 'reason="malformed"')).toBe(1)
  })
})
