import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWalletClient, defineChain } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { throughWalletd } from '../helpers/viemThrough.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * wallet_addEthereumChain against a second real Anvil (chain 4242): the RPC is probed, one
 * approval adds the chain and switches the origin that asked, `chainChanged` goes to that origin
 * only, and the chain then serves that origin's reads.
 */
const SECOND_CHAIN = 4242
const approver = createScriptedApprover([], 'approve')
let second: AnvilInstance
let d: TestDaemon
let app: RpcClient
let other: RpcClient

beforeAll(async () => {
  second = await startAnvil({ chainId: SECOND_CHAIN })
  d = await startTestDaemon({
    approver,
    config: {
      rateLimit: { classes: { prompt: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  app = await d.connect()
  other = await d.connect({ origin: 'https://other.example' })
})

afterAll(async () => {
  await app?.close()
  await other?.close()
  await d?.close()
  await second?.stop()
})

const chainChanged = (c: RpcClient) => c.notifications.filter((n) => n.method === 'walletd_chainChanged')

describe('wallet_addEthereumChain with a second Anvil', () => {
  test('viem addChain: probed, approved once, added and switched; chainChanged to that origin only', async () => {
    const chain = defineChain({
      id: SECOND_CHAIN,
      name: 'Second Anvil',
      nativeCurrency: { name: 'Test Ether', symbol: 'TETH', decimals: 18 },
      rpcUrls: { default: { http: [second.httpUrl] } },
    })
    const wallet = createWalletClient({ transport: throughWalletd(app) })
    const seen = approver.seen.length
    await wallet.addChain({ chain })
    expect(approver.seen.length).toBe(seen + 1)
    const prompt = approver.seen[seen]!
    expect(prompt.method).toBe('wallet_addEthereumChain')
    expect(prompt.summary).toBe(`Add chain Second Anvil (4242) via 127.0.0.1:${second.port} and switch to it`)
    expect(prompt.summary.length).toBeLessThan(100)
    expect(prompt.details.rpcUrls).toEqual([`http://127.0.0.1:${second.port}`])

    const pushed = await app.waitForNotification((n) => n.method === 'walletd_chainChanged')
    expect(pushed.params).toEqual([{ chainId: '0x1092', networkVersion: '4242' }])
    expect((await app.call('eth_chainId')).result).toBe('0x1092')
    expect(await wallet.getChainId()).toBe(SECOND_CHAIN)

    // Reads now go to the second Anvil.
    const marker = '0x0000000000000000000000000000000000004242'
    await anvilRpc('anvil_setBalance', [marker, '0x1092'], second.httpUrl)
    expect((await app.call('eth_getBalance', [marker, 'latest'])).result).toBe('0x1092')

    // The other origin saw nothing and stays on the first chain.
    expect((await other.call('eth_chainId')).result).toBe('0x7a69')
    expect(chainChanged(other)).toEqual([])
    expect(d.daemon.services.addedChains.list()).toEqual([
      expect.objectContaining({
        chainId: SECOND_CHAIN,
        name: 'Second Anvil',
        addedBy: 'https://app.example',
      }),
    ])
  })

  test('an RPC URL that answers another chain id is refused before any prompt (-32602)', async () => {
    const seen = approver.seen.length
    const { error } = await other.call('wallet_addEthereumChain', [
      {
        chainId: '0x1093',
        chainName: 'Liar',
        rpcUrls: [second.httpUrl],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      },
    ])
    expect(error).toMatchObject({
      code: -32602,
      message: `Invalid parameters: the RPC URL http://127.0.0.1:${second.port} is chain 4242 (0x1092), not the requested chain 4243 (0x1093).`,
    })
    expect(approver.seen.length).toBe(seen)
    expect(d.daemon.services.chains.has(4243)).toBe(false)
  })

  test('the added chain is known to another origin: its add is a switch prompt, its chainChanged its own', async () => {
    const seen = approver.seen.length
    const before = chainChanged(app).length
    const { result, error } = await other.call('wallet_addEthereumChain', [
      {
        chainId: '0x1092',
        chainName: 'Whatever',
        rpcUrls: ['https://ignored.example'],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      },
    ])
    expect(error).toBeUndefined()
    expect(result).toBeNull()
    expect(approver.seen[seen]!.summary).toBe('Switch to Second Anvil (chain 4242)')
    await other.waitForNotification((n) => n.method === 'walletd_chainChanged')
    expect((await other.call('eth_chainId')).result).toBe('0x1092')
    expect(chainChanged(app).length).toBe(before)
    // Already active: no prompt at all.
    await other.call('wallet_addEthereumChain', [
      { chainId: '0x1092', chainName: 'Whatever', rpcUrls: ['https://ignored.example'] },
    ])
    expect(approver.seen.length).toBe(seen + 1)
  })

  test('a rejected add adds nothing (4001)', async () => {
    const third = await startAnvil({ chainId: 4244 })
    try {
      approver.push('reject')
      const { error } = await app.call('wallet_addEthereumChain', [
        { chainId: '0x1094', chainName: 'Third', rpcUrls: [third.wsUrl] },
      ])
      expect(error?.code).toBe(4001)
      expect(d.daemon.services.chains.has(4244)).toBe(false)
      expect((await app.call('eth_chainId')).result).toBe('0x1092')
    } finally {
      await third.stop()
    }
  })

  test('an added chain survives a restart (chains.json in the data dir)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'walletd-addchain-'))
    const config = { dataDir, runtimeDir: join(dataDir, 'run') }
    try {
      const first = await startTestDaemon({ approver, config })
      const c1 = await first.connect()
      expect(
        (
          await c1.call('wallet_addEthereumChain', [
            { chainId: '0x1092', chainName: 'Kept', rpcUrls: [second.wsUrl] },
          ])
        ).error,
      ).toBeUndefined()
      await c1.close()
      await first.close()
      expect(JSON.parse(readFileSync(join(dataDir, 'chains.json'), 'utf8')).chains).toEqual([
        expect.objectContaining({ chainId: SECOND_CHAIN, name: 'Kept', rpcUrls: [second.wsUrl] }),
      ])

      rmSync(join(dataDir, 'tokens.json')) // the helper mints its "test" token again
      const again = await startTestDaemon({ approver, config })
      try {
        expect(again.daemon.services.chains.get(SECOND_CHAIN)?.name).toBe('Kept')
        const c2 = await again.connect({ origin: 'https://third.example' })
        // Known now: switching needs no add.
        expect((await c2.call('wallet_switchEthereumChain', [{ chainId: '0x1092' }])).error).toBeUndefined()
        expect((await c2.call('eth_blockNumber')).result).toMatch(/^0x/)
        await c2.close()
      } finally {
        await again.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
