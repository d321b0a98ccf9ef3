import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createWalletdProvider } from 'walletd/provider'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { nodeEventSource } from '../helpers/nodeEventSource.js'
import { nextEvent } from '../helpers/nodeProvider.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The HTTP fallback: an event stream (GET /events) with the handshake, requests as POST /rpc on the
 * stream, CORS for the page's origin only, subscriptions delivered as events.
 */
let d: TestDaemon
const approver = createScriptedApprover([], 'approve')

beforeAll(async () => {
  d = await startTestDaemon({ approver })
})
afterAll(async () => {
  await d?.close()
})

/** The provider over HTTP + event stream only, in Node, sending the Origin a page would. */
function httpProvider(origin = TEST_ORIGIN, token = d.token) {
  return createWalletdProvider({
    url: d.wsUrl,
    publicKey: d.daemon.info.identity.publicKey,
    token,
    origin,
    transports: ['http'],
    createEventSource: (url) => nodeEventSource(url, { origin }),
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), origin } }),
  })
}

describe('the event stream', () => {
  test('the provider connects over HTTP, requests run, subscriptions arrive as message events', async () => {
    const provider = httpProvider()
    const [connect] = await nextEvent(provider, 'connect')
    expect(connect).toEqual({ chainId: '0x7a69' })
    expect(provider.transport).toBe('http')
    expect(await provider.request({ method: 'eth_chainId' })).toBe('0x7a69')
    const subscription = (await provider.request({ method: 'eth_subscribe', params: ['newHeads'] })) as string
    expect(subscription).toMatch(/^0x[0-9a-f]{32}$/)
    const message = nextEvent(provider, 'message')
    await anvilRpc('evm_mine')
    const [m] = await message
    expect(m).toMatchObject({ type: 'eth_subscription', data: { subscription } })
    expect(m.data.result.number).toMatch(/^0x/)
    const changed = nextEvent(provider, 'accountsChanged')
    const accounts = await provider.request({ method: 'eth_requestAccounts' })
    expect((await changed)[0]).toEqual(accounts)
    provider.close()
  })

  test('the stream answers its page with CORS headers; the preflight allows no Authorization', async () => {
    const source = nodeEventSource(`${d.baseUrl}/events?nonce=${'n'.repeat(43)}`, { origin: TEST_ORIGIN })
    const first = await new Promise<string>((r) => {
      source.onmessage = (e) => r(e.data)
    })
    expect(JSON.parse(first)).toMatchObject({ method: 'walletd_hello', params: [{ alg: 'ES256' }] })
    const stream = JSON.parse(first).params[0].stream as string
    expect(stream).toMatch(/^[A-Za-z0-9_-]{32}$/)
    // Requests on the stream from another origin, or naming an unknown stream, are refused.
    const post = (origin: string, id: string) =>
      fetch(`${d.baseUrl}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'x-walletd-stream': id },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
      })
    expect((await post('https://evil.example', stream)).status).toBe(401)
    expect((await post(TEST_ORIGIN, 'x'.repeat(32))).status).toBe(401)
    // The stream's own origin: the first request must be the proof; anything else closes it.
    const refused = await post(TEST_ORIGIN, stream)
    expect(refused.status).toBe(200)
    expect(refused.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN)
    expect(await refused.json()).toMatchObject({ error: { code: 4100 } })
    source.close()

    const preflight = (headers: string) =>
      fetch(`${d.baseUrl}/rpc`, {
        method: 'OPTIONS',
        headers: {
          origin: TEST_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': headers,
        },
      })
    const ok = await preflight('content-type, x-walletd-stream')
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN)
    expect(ok.headers.get('access-control-allow-headers')).not.toContain('authorization')
    expect((await preflight('content-type, authorization, x-walletd-stream')).status).toBe(403)
    expect((await preflight('content-type')).status).toBe(403) // a plain cross-site POST gets nothing
  })

  test('a Bearer client gets its stream id first; its requests need the same token', async () => {
    const source = nodeEventSource(`${d.baseUrl}/events`, { authorization: `Bearer ${d.token}` })
    const events: string[] = []
    source.onmessage = (e) => events.push(e.data)
    await new Promise((r) => setTimeout(r, 200))
    expect(events.map((e) => JSON.parse(e).method)).toEqual(['walletd_stream', 'walletd_state'])
    const stream = JSON.parse(events[0]!).params[0].stream as string
    const call = (auth: string | null) =>
      fetch(`${d.baseUrl}/rpc`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-walletd-stream': stream,
          ...(auth ? { authorization: auth } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
      })
    expect((await call(null)).status).toBe(401)
    expect(await (await call(`Bearer ${d.token}`)).json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: '0x7a69',
    })
    source.close()
  })

  test('a stream without a nonce or a token is refused (401), with no CORS headers', async () => {
    const res = await fetch(`${d.baseUrl}/events`, { headers: { origin: TEST_ORIGIN } })
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})
