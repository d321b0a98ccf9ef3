import { afterAll, beforeAll, expect, test } from 'vitest'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon({ approver: createScriptedApprover([], 'reject') })
})
afterAll(async () => {
  await d?.close()
})

test('/health reports chains and readiness, and names no origin, token or account', async () => {
  const c = await d.connect({ origin: 'https://secret-origin.example' })
  await c.call('eth_chainId')
  const res = await fetch(`${d.baseUrl}/health`)
  expect(res.status).toBe(200)
  const body = (await res.json()) as {
    status: string
    ready: boolean
    chains: { chainId: number; connected: boolean }[]
    signer: { accounts: number }
  }
  expect(body.status).toBe('ok')
  expect(body.ready).toBe(true)
  expect(body.chains).toEqual([expect.objectContaining({ chainId: 31337, connected: true })])
  expect(body.signer.accounts).toBeGreaterThan(0)
  const text = JSON.stringify(body)
  expect(text).not.toContain('secret-origin')
  expect(text).not.toContain(d.token)
  expect(text.toLowerCase()).not.toContain('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
  await c.close()
  expect((await fetch(`${d.baseUrl}/healthz`)).status).toBe(200)
  expect((await fetch(`${d.baseUrl}/readyz`)).status).toBe(200)
})

test('/metrics counts connections, requests by method and outcome, durations and upstream latency', async () => {
  const c = await d.connect()
  await c.call('eth_blockNumber')
  await c.call('eth_blockNumber')
  await c.call('anvil_mine')
  const text = await (await fetch(`${d.baseUrl}/metrics`)).text()
  expect(text).toMatch(/walletd_connections_active\{transport="ws"\} [1-9]/)
  expect(text).toMatch(/walletd_requests_total\{method="eth_blockNumber",outcome="ok"\} [2-9]/)
  expect(text).toMatch(/walletd_requests_total\{method="unknown",outcome="-32601"\} [1-9]/)
  expect(text).toMatch(/walletd_request_duration_seconds_count\{method="eth_blockNumber"\} [2-9]/)
  expect(text).toMatch(/walletd_upstream_request_duration_seconds_count\{chain="31337",outcome="ok"\} [1-9]/)
  expect(text).not.toContain(d.token)
  await c.close()
})

test('the log names connections and requests but never the token', async () => {
  const c = await d.connect()
  await c.call('eth_blockNumber')
  await c.close()
  const log = d.logText()
  expect(log).toContain('connection opened')
  expect(log).toContain('"method":"eth_blockNumber"')
  expect(log).not.toContain(d.token)
  expect(log).not.toContain(d.token.slice(4, 20))
})

test('without an approver the daemon is live but not ready (it cannot sign)', async () => {
  const bare = await startTestDaemon({ approver: null })
  try {
    expect((await fetch(`${bare.baseUrl}/healthz`)).status).toBe(200)
    const readyz = await fetch(`${bare.baseUrl}/readyz`)
    expect(readyz.status).toBe(503)
    expect(await readyz.json()).toMatchObject({ ready: false, status: 'ok' })
    const health = (await (await fetch(`${bare.baseUrl}/health`)).json()) as {
      ready: boolean
      approvers: unknown
      notReady: string[]
    }
    expect(health).toMatchObject({ ready: false, approvers: [] })
    expect(health.notReady).toEqual(['no approver can decide (start with --policy or an approver)'])
  } finally {
    await bare.close()
  }
})
