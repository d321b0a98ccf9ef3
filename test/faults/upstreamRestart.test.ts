import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createWalletdProvider, type WalletdProvider } from 'walletd/provider'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { nodeEventSource } from '../helpers/nodeEventSource.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * The upstream dies mid-request and comes back: a real Anvil of the test's own (not the shared one)
 * is frozen with a request from walletd in flight, then SIGKILLed. The in-flight requests (over a
 * WebSocket and over HTTP) get a JSON-RPC error (4901 disconnected), not a hang; /health says the
 * upstream is down; new requests fail fast the same way; the daemon stays up. Anvil is started
 * again on the same port with its state (dumped before the kill, loaded after): requests work and
 * see that state, and the client's `newHeads` subscription keeps delivering under the id it was
 * given, which it can still cancel — over a WebSocket and over the event stream (HTTP fallback).
 */
const WHO = '0x00000000000000000000000000000000000000bb'

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Whether every thread of `pid` is in state T (stopped), from /proc. */
function allThreadsStopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`)
  return tasks.every((t) => {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T'
  })
}

const health = async (d: TestDaemon) => {
  const res = await fetch(`${d.baseUrl}/health`)
  return { status: res.status, body: (await res.json()) as any }
}

describe('upstream killed mid-request and restarted: clear errors, health says down, same subscription ids after', () => {
  let anvil: AnvilInstance
  let d: TestDaemon
  let client: RpcClient
  /** The provider over HTTP and the event stream only, as a page whose WebSockets are blocked. */
  let sse: WalletdProvider
  const sseHeads: Array<{ subscription: string; result: { number: string } }> = []

  beforeAll(async () => {
    anvil = await startAnvil({ quiet: true })
    d = await startTestDaemon({
      upstreamUrl: anvil.wsUrl,
      signer: null,
      config: { upstream: { reconnectInitialMs: 50, reconnectMaxMs: 200, connectTimeoutMs: 2000 } },
    })
    client = await d.connect()
    sse = createWalletdProvider({
      url: d.wsUrl,
      publicKey: d.daemon.info.identity.publicKey,
      token: d.token,
      origin: TEST_ORIGIN,
      transports: ['http'],
      createEventSource: (url) => nodeEventSource(url, { origin: TEST_ORIGIN }),
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), origin: TEST_ORIGIN },
        }),
    })
    sse.on('message', (m: { type: string; data: any }) => {
      if (m.type === 'eth_subscription') sseHeads.push(m.data)
    })
  })
  afterAll(async () => {
    await client?.close()
    sse?.close()
    await d?.close()
    await anvil?.stop()
  })

  test('kill, down, restart on the same port, recover', async () => {
    const port = anvil.port
    await anvilRpc('anvil_setBalance', [WHO, '0xabcdef'], anvil.httpUrl)
    const sub = await client.call('eth_subscribe', ['newHeads'])
    const id = sub.result as string
    expect(id).toMatch(/^0x[0-9a-f]{32}$/)
    const sseId = (await sse.request({ method: 'eth_subscribe', params: ['newHeads'] })) as string
    expect(sseId).toMatch(/^0x[0-9a-f]{32}$/)
    await anvilRpc('evm_mine', [], anvil.httpUrl)
    const first = await client.waitForNotification((n) => (n.params as any).subscription === id)
    const firstBlock = BigInt((first.params as any).result.number)
    await waitFor('the first head over the event stream', () => (sseHeads.length > 0 ? true : undefined))
    expect((await health(d)).body.chains[0]).toMatchObject({ chainId: 31337, connected: true })
    const state = await anvilRpc('anvil_dumpState', [], anvil.httpUrl)

    // Watch what walletd asks its upstream (the real upstream object, wrapped, nothing faked).
    const upstream = d.daemon.services.upstreams.get(31337)!
    const asked: string[] = []
    const waiters = new Set<() => void>()
    const original = upstream.request.bind(upstream)
    ;(upstream as { request: typeof upstream.request }).request = (method, params, opts) => {
      asked.push(method)
      for (const w of waiters) w()
      return original(method, params, opts)
    }
    const asks = (method: string, count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (asked.filter((m) => m === method).length >= count) {
            waiters.delete(check)
            resolve()
          }
        }
        waiters.add(check)
        check()
      })

    // Freeze Anvil, send requests (they reach the upstream and wait there), then kill it.
    anvil.process.kill('SIGSTOP')
    // The signal takes effect asynchronously: wait until every thread of Anvil is stopped.
    await waitFor('Anvil to be stopped', () => (allThreadsStopped(anvil.process.pid!) ? true : undefined))
    const wsInFlight = client.call('eth_getBalance', [WHO, 'latest'])
    const httpInFlight = d.post({ jsonrpc: '2.0', id: 7, method: 'eth_getBalance', params: [WHO, 'latest'] })
    await asks('eth_getBalance', 2)
    const exited = new Promise((r) => anvil.process.once('exit', r))
    anvil.process.kill('SIGKILL')
    await exited

    const wsAnswer = await wsInFlight
    expect(wsAnswer.result).toBeUndefined()
    expect(wsAnswer.error).toMatchObject({ code: 4901 })
    expect(wsAnswer.error!.message).toBe('The connection to the upstream of chain 31337 was lost.')
    const httpAnswer = await httpInFlight
    expect(httpAnswer.status).toBe(200)
    expect(httpAnswer.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: 4901 } })

    // Down: /health says so; a new request is refused the same way (after at most connectTimeoutMs).
    const down = await health(d)
    expect(down.status).toBe(503)
    expect(down.body.status).toBe('degraded')
    expect(down.body.chains[0]).toMatchObject({ chainId: 31337, connected: false })
    expect(down.body.notReady).toContain('the upstream of chain 31337 is not reachable')
    const during = await client.call('eth_blockNumber')
    expect(during.error?.code).toBe(4901)
    // The daemon is alive and answers what needs no upstream.
    expect((await client.call('eth_chainId')).result).toBe('0x7a69')

    // Anvil comes back on the same port, with the state it had.
    anvil = await startAnvil({ quiet: true, port })
    await anvilRpc('anvil_loadState', [state], anvil.httpUrl)
    await waitFor('the upstream to reconnect', async () =>
      (await health(d)).body.chains[0].connected ? true : undefined,
    )
    const balance = await client.call('eth_getBalance', [WHO, 'latest'])
    expect(balance.result).toBe('0xabcdef')
    expect((await d.post({ jsonrpc: '2.0', id: 8, method: 'eth_blockNumber' })).body.result).toMatch(/^0x/)

    // The subscription delivers again under the same id (walletd re-subscribed upstream; mine
    // until a head of the new Anvil arrives).
    const later = await waitFor('a newHeads notification after the restart', async () => {
      await anvilRpc('evm_mine', [], anvil.httpUrl)
      return client.notifications.find(
        (n) => n.method === 'eth_subscription' && BigInt((n.params as any).result.number) > firstBlock,
      )
    })
    expect((later.params as any).subscription).toBe(id)
    // Every notification the client ever got is under that one id.
    const heads = client.notifications.filter((n) => n.method === 'eth_subscription')
    expect(heads.length).toBeGreaterThanOrEqual(2)
    expect(new Set(heads.map((n) => (n.params as any).subscription))).toEqual(new Set([id]))
    // The event-stream client too: a head of the new Anvil, under its own id.
    await waitFor('a head over the event stream after the restart', async () => {
      if (sseHeads.some((h) => BigInt(h.result.number) > firstBlock)) return true
      await anvilRpc('evm_mine', [], anvil.httpUrl)
      return undefined
    })
    expect(new Set(sseHeads.map((h) => h.subscription))).toEqual(new Set([sseId]))
    expect(d.daemon.services.subscriptions.counts().subscriptions).toBe(2)
    expect((await client.call('eth_unsubscribe', [id])).result).toBe(true)
    expect(await sse.request({ method: 'eth_unsubscribe', params: [sseId] })).toBe(true)
    expect(d.daemon.services.subscriptions.counts().subscriptions).toBe(0)
    expect(d.logText()).toContain('upstream connection lost')
  })
})
