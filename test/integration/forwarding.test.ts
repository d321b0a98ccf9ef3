import { WebSocketProvider } from 'ethers'
import { createPublicClient, http, type PublicClient } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import WebSocket from 'ws'
import { anvilRpc, waitForReceipt } from '../helpers/anvilRpc.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Reads through walletd equal reads from Anvil directly, with viem (HTTP, Bearer token) and
 * ethers (WebSocket, host token in the subprotocol list, an Origin).
 */
let d: TestDaemon
let direct: PublicClient
let viaWalletd: PublicClient
let ethersProvider: WebSocketProvider
let ethersSocket: WebSocket
let client: RpcClient
let logContract: `0x${string}`
const anvilHttp = () => inject('anvilHttpUrl')

beforeAll(async () => {
  d = await startTestDaemon()
  direct = createPublicClient({ chain: foundry, transport: http(anvilHttp()), cacheTime: 0 })
  viaWalletd = createPublicClient({
    chain: foundry,
    transport: http(d.httpUrl, { fetchOptions: { headers: { authorization: `Bearer ${d.token}` } } }),
    cacheTime: 0,
  })
  ethersSocket = new WebSocket(d.wsUrl, ['walletd.v1', `walletd.token.${d.token}`], {
    headers: { origin: TEST_ORIGIN },
  })
  ethersProvider = new WebSocketProvider(ethersSocket as never, 31337, { staticNetwork: true })
  client = await d.connect()
  // A contract that emits LOG0 on every call (deployed directly on Anvil, not through walletd).
  const [from] = (await anvilRpc('eth_accounts')) as string[]
  const deploy = await anvilRpc('eth_sendTransaction', [{ from, data: '0x6560006000a0006000526006601af3' }])
  logContract = (await waitForReceipt(deploy)).contractAddress
  await waitForReceipt(await anvilRpc('eth_sendTransaction', [{ from, to: logContract, data: '0x' }]))
})

/** Live eth_subscribe subscriptions in walletd (all connections). */
const liveSubscriptions = async () =>
  (await d.daemon.services.metrics.subscriptionsActive.get()).values[0]?.value ?? 0

/** Polls a condition (an event walletd reports), never a fixed sleep. */
async function until(what: string, fn: () => Promise<boolean>) {
  for (let i = 0; i < 500; i++) {
    if (await fn()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

afterAll(async () => {
  // ethers unsubscribes asynchronously and does not await it: wait until walletd has seen it and
  // ethers has had walletd's answer (destroying it earlier rejects ethers' pending request).
  const subscribed = d ? (await liveSubscriptions()) > 0 : false
  const answered = new Promise<void>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      if (/"result":true/.test(String(data))) {
        ethersSocket.off('message', onMessage)
        setImmediate(resolve)
      }
    }
    ethersSocket?.on('message', onMessage)
  })
  await ethersProvider?.removeAllListeners()
  if (d) await until('ethers to unsubscribe', async () => (await liveSubscriptions()) === 0)
  if (subscribed) await answered
  await ethersProvider?.destroy()
  await client?.close()
  await d?.close()
})

describe('reads through walletd equal Anvil', () => {
  test('chain id (answered locally) and block number', async () => {
    expect(await viaWalletd.getChainId()).toBe(31337)
    expect(Number((await ethersProvider.getNetwork()).chainId)).toBe(31337)
    const [a, b, c] = await Promise.all([
      direct.getBlockNumber(),
      viaWalletd.getBlockNumber(),
      ethersProvider.getBlockNumber(),
    ])
    expect(b).toBe(a)
    expect(BigInt(c)).toBe(a)
  })

  test('balance', async () => {
    const addr = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const [a, b, c] = await Promise.all([
      direct.getBalance({ address: addr }),
      viaWalletd.getBalance({ address: addr }),
      ethersProvider.getBalance(addr),
    ])
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  test('block by number, code, call', async () => {
    const n = await direct.getBlockNumber()
    expect(await viaWalletd.getBlock({ blockNumber: n })).toEqual(await direct.getBlock({ blockNumber: n }))
    expect(await viaWalletd.getCode({ address: logContract })).toBe(
      await direct.getCode({ address: logContract }),
    )
    const call = { to: logContract, data: '0x' as const }
    expect(await viaWalletd.call(call)).toEqual(await direct.call(call))
    expect(await ethersProvider.call(call)).toBe((await direct.call(call)).data ?? '0x')
  })

  test('logs', async () => {
    const filter = { address: logContract, fromBlock: 0n, toBlock: 'latest' as const }
    const [a, b] = await Promise.all([direct.getLogs(filter), viaWalletd.getLogs(filter)])
    expect(a.length).toBeGreaterThan(0)
    expect(b).toEqual(a)
    const e = await ethersProvider.getLogs({ address: logContract, fromBlock: 0 })
    expect(e.map((l) => l.transactionHash)).toEqual(a.map((l) => l.transactionHash))
  })

  test('a node error (a raw transaction that does not decode) is relayed unchanged', async () => {
    // walletd's upstream is Anvil's WebSocket: ask Anvil the same over its WebSocket. (Malformed
    // params never reach the node: walletd refuses them itself, see test/security/forwardedParams.)
    const params = ['0xdeadbeef']
    const ws = new WebSocket(inject('anvilWsUrl'))
    await new Promise((r) => ws.once('open', r))
    const viaDirect = await new Promise<{ error: unknown }>((resolve) => {
      ws.once('message', (m) => resolve(JSON.parse(String(m))))
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params }))
    })
    ws.close()
    expect(viaDirect.error).toBeDefined()
    const res = await client.call('eth_sendRawTransaction', params)
    expect(res.error).toBeDefined()
    expect(res.error).toEqual(viaDirect.error)
  })

  test('a batch over HTTP', async () => {
    const res = await d.post([
      { jsonrpc: '2.0', id: 'a', method: 'eth_blockNumber' },
      { jsonrpc: '2.0', id: 'b', method: 'eth_chainId' },
    ])
    expect(res.status).toBe(200)
    expect(res.body.map((r: { id: string }) => r.id)).toEqual(['a', 'b'])
    expect(BigInt(res.body[0].result)).toBe(await direct.getBlockNumber())
    expect(res.body[1].result).toBe('0x7a69')
  })

  test('net_version is answered locally', async () => {
    expect((await client.call('net_version')).result).toBe('31337')
  })
})

describe('subscriptions', () => {
  test('newHeads through walletd delivers the next block', async () => {
    const sub = await client.call('eth_subscribe', ['newHeads'])
    expect(typeof sub.result).toBe('string')
    const before = BigInt(await anvilRpc('eth_blockNumber'))
    await anvilRpc('evm_mine')
    const n = await client.waitForNotification(
      (x) =>
        x.method === 'eth_subscription' && (x.params as { subscription: string }).subscription === sub.result,
    )
    const head = (n.params as { result: { number: string; hash: string } }).result
    expect(BigInt(head.number)).toBeGreaterThan(before)
    const block = await anvilRpc('eth_getBlockByNumber', [head.number, false])
    expect(block.hash).toBe(head.hash)
    expect((await client.call('eth_unsubscribe', [sub.result])).result).toBe(true)
  })

  test('ethers block events through walletd', async () => {
    const before = await liveSubscriptions()
    const got = new Promise<number>((resolve) => ethersProvider.once('block', resolve))
    // Mine only once ethers' newHeads subscription is live in walletd.
    await until('ethers to subscribe', async () => (await liveSubscriptions()) > before)
    await anvilRpc('evm_mine')
    const n = await got
    expect(n).toBeGreaterThan(0)
  })
})
