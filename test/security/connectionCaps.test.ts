import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Connection caps beside the per-origin and global ones: per host token (one unbound token
 * rotating `Origin: https://sN.example` opened 256 sockets, after which every other client got 429)
 * and per registrable domain (subdomain rotation). Refused with 429 before the upgrade, counted by
 * outcome; other tokens and sites still connect.
 */
let d: TestDaemon
let other: string
const open: RpcClient[] = []

beforeAll(async () => {
  d = await startTestDaemon({
    config: { connections: { maxTotal: 40, maxPerToken: 8, maxPerDomain: 4, maxPerOrigin: 2 } },
  })
  other = d.daemon.tokens.create('other').token
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})
afterAll(async () => {
  await d?.close()
})

const connectAs = async (origin: string, token = d.token) => {
  const c = await d.connect({ origin, token })
  open.push(c)
  return c
}

const outcomes = async () => {
  const text = await (await fetch(`${d.baseUrl}/metrics`)).text()
  const count = (outcome: string) =>
    Number(new RegExp(`walletd_connections_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
  return { token: count('cap_token'), domain: count('cap_domain') }
}

describe('per-token and per-domain connection caps', () => {
  test('one token rotating origins stops at connections.maxPerToken; another token still connects', async () => {
    const before = await outcomes()
    for (let i = 0; i < 8; i++) await connectAs(`https://s${i}.example`)
    for (const i of [8, 9, 10]) {
      await expect(connectAs(`https://s${i}.example`)).rejects.toMatchObject({ statusCode: 429 })
    }
    // The same token over HTTP is not a socket: it still works.
    expect((await d.post({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })).body.result).toBe('0x7a69')
    // Another client is not locked out.
    const c = await connectAs('https://app.example', other)
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
    expect((await outcomes()).token - before.token).toBe(3)
  })

  test('subdomains of one registrable domain stop at connections.maxPerDomain; other sites connect', async () => {
    const before = await outcomes()
    for (let i = 0; i < 4; i++) await connectAs(`https://s${i}.site.example.com`, other)
    await expect(connectAs('https://s4.site.example.com', other)).rejects.toMatchObject({ statusCode: 429 })
    await expect(connectAs('https://example.com', other)).rejects.toMatchObject({ statusCode: 429 })
    // *.localhost share `localhost` (a third token: `other` is near its own cap by now).
    const third = d.daemon.tokens.create('third').token
    for (let i = 0; i < 4; i++) await connectAs(`http://s${i}.localhost:5173`, third)
    await expect(connectAs('http://s4.localhost:5173', third)).rejects.toMatchObject({ statusCode: 429 })
    await connectAs('https://elsewhere.example.org', third)
    expect((await outcomes()).domain - before.domain).toBe(3)
  })

  test('closing sockets frees the slots', async () => {
    for (let i = 0; i < 8; i++) await connectAs(`https://s${i}.example`)
    await expect(connectAs('https://s8.example')).rejects.toMatchObject({ statusCode: 429 })
    await Promise.all(open.splice(0, 3).map((c) => c.close()))
    // The daemon frees a slot once it has seen the close: retry until it has.
    let again: RpcClient | undefined
    for (let i = 0; i < 100 && !again; i++) {
      again = await connectAs('https://s9.example').catch(() => undefined)
      if (!again) await new Promise((r) => setTimeout(r, 20))
    }
    expect(again).toBeDefined()
    expect(open.length).toBe(6)
  })
})
