import { hashTypedData, recoverAddress, verifyMessage } from 'viem'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { anvilRpc, waitForReceipt } from '../helpers/anvilRpc.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { injection, launchChromium, openPage, type PageServer, serveDapp } from './helpers.js'

/**
 * A dApp page of ours in real Chromium, the provider injected as a host would (addInitScript):
 * found through EIP-6963 and used with viem's `custom(provider)`, and through wagmi's injected
 * connector; two origins at once keep separate sessions and see only their own events.
 */
declare const dapp: any

let second: AnvilInstance
let d: TestDaemon
let browser: Awaited<ReturnType<typeof launchChromium>>
const approver = createScriptedApprover([], 'approve')
const servers: PageServer[] = []

const chain = (chainId: number, url: string) => ({
  chainId,
  name: `Anvil ${chainId}`,
  rpcUrls: [url],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})

beforeAll(async () => {
  second = await startAnvil({ port: 0, chainId: 31338 })
  d = await startTestDaemon({
    approver,
    config: {
      chains: [chain(31337, inject('anvilWsUrl')), chain(31338, second.wsUrl)],
      rateLimit: { classes: { prompt: { burst: 100, perSecond: 50 }, sign: { burst: 100, perSecond: 50 } } },
    },
  })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  for (const s of servers) await s.close()
  await d?.close()
  await second?.stop()
})

async function dappServer() {
  const s = await serveDapp()
  servers.push(s)
  return s
}

/** Injection options for `origin`: its own origin-bound token, as `walletd provider --origin` makes. */
function optionsFor(origin: string, extra: Record<string, unknown> = {}) {
  const { token } = d.daemon.tokens.create(`page-${servers.length}-${Date.now()}`, { origins: [origin] })
  return { url: d.wsUrl, publicKey: d.daemon.info.identity.publicKey, token, ...extra }
}

const eventsOf = (page: any, name: string) =>
  page.evaluate((n: string) => dapp.events.filter((e: any) => e.event === n).map((e: any) => e.value), name)

describe('a dApp in Chromium', () => {
  test('finds walletd through EIP-6963 and uses it with viem: connect, sign, typed data, a transaction, chain switch, subscriptions', async () => {
    const server = await dappServer()
    const { page, context } = await openPage(browser, server, injection(optionsFor(server.origin)))

    const announced = await page.evaluate(() => dapp.announced.map((x: any) => x.info))
    expect(announced).toHaveLength(1)
    expect(announced[0]).toMatchObject({ name: 'walletd', rdns: 'local.walletd' })
    expect(announced[0].uuid).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[a-f0-9]{4}-[a-f0-9]{12}$/)
    expect(announced[0].icon).toMatch(/^data:image\/svg\+xml;base64,/)
    expect(await page.evaluate(() => dapp.frozen.length > 0 && dapp.frozen.every(Boolean))).toBe(true)
    // Not configured for window.ethereum: the page's global stays free.
    expect(await page.evaluate(() => (globalThis as any).ethereum === undefined)).toBe(true)
    // Another request re-announces the same provider (same uuid).
    expect(
      await page.evaluate(() => {
        const before = dapp.announced.length
        ;(globalThis as any).dispatchEvent(new Event('eip6963:requestProvider'))
        return [before, dapp.announced.length, dapp.frozen.length > 1]
      }),
    ).toEqual([1, 1, true])

    await page.evaluate(() => {
      const provider = dapp.walletd()
      dapp.record(provider)
      ;(globalThis as any).wallet = dapp.viem.createWalletClient({
        chain: dapp.chains.anvil,
        transport: dapp.viem.custom(provider),
      })
      ;(globalThis as any).reader = dapp.viem.createPublicClient({ transport: dapp.viem.custom(provider) })
    })
    await page.waitForFunction(() => dapp.walletd().isConnected())
    expect(await page.evaluate(() => dapp.walletd().chainId)).toBe('0x7a69')

    // Connect (eth_requestAccounts, approved by the scripted approver).
    const accounts: string[] = await page.evaluate(() => (globalThis as any).wallet.requestAddresses())
    expect(accounts.length).toBeGreaterThan(0)
    const account = accounts[0]! as `0x${string}`
    await page.waitForFunction(() => dapp.events.some((e: any) => e.event === 'accountsChanged'))
    // viem checksums what it returns; the provider passes walletd's lowercase accounts on.
    expect(await eventsOf(page, 'accountsChanged')).toEqual([accounts.map((x) => x.toLowerCase())])
    expect(approver.seen.at(-1)).toMatchObject({ origin: server.origin, method: 'eth_requestAccounts' })

    // personal_sign
    const message = 'hello from the page'
    const signature = await page.evaluate(
      ([a, m]) => (globalThis as any).wallet.signMessage({ account: a, message: m }),
      [account, message],
    )
    expect(await verifyMessage({ address: account, message, signature })).toBe(true)

    // eth_signTypedData_v4
    const typed = {
      domain: {
        name: 'walletd test',
        version: '1',
        chainId: 31337,
        verifyingContract: '0x000000000000000000000000000000000000cafE',
      },
      types: { Mail: [{ name: 'contents', type: 'string' }] },
      primaryType: 'Mail',
      message: { contents: 'typed hello' },
    } as const
    const typedSignature = await page.evaluate(
      ([a, t]) => (globalThis as any).wallet.signTypedData({ account: a, ...t }),
      [account, typed] as const,
    )
    expect(await recoverAddress({ hash: hashTypedData(typed), signature: typedSignature })).toBe(account)

    // A transaction that lands on Anvil; its receipt read back through the provider.
    const to = '0x000000000000000000000000000000000000dEaD'
    const before = BigInt(await anvilRpc('eth_getBalance', [to, 'latest']))
    const hash = await page.evaluate(
      ([a, t]) =>
        (globalThis as any).wallet.sendTransaction({
          account: a,
          to: t,
          value: dapp.viem.parseEther('0.001'),
        }),
      [account, to],
    )
    const receipt = await waitForReceipt(hash)
    expect(receipt.status).toBe('0x1')
    expect(receipt.from).toBe(account.toLowerCase())
    expect(BigInt(await anvilRpc('eth_getBalance', [to, 'latest'])) - before).toBe(10n ** 15n)
    const readBack = await page.evaluate(
      (h) => (globalThis as any).reader.getTransactionReceipt({ hash: h }).then((r: any) => r.status),
      hash,
    )
    expect(readBack).toBe('success')

    // eth_subscribe newHeads: blocks arrive as EIP-1193 message events under the subscription id.
    const subscription = await page.evaluate(() =>
      dapp.walletd().request({ method: 'eth_subscribe', params: ['newHeads'] }),
    )
    await anvilRpc('evm_mine')
    await page.waitForFunction(
      (id) => dapp.events.some((e: any) => e.event === 'message' && e.value.data.subscription === id),
      subscription,
    )
    const head = (await eventsOf(page, 'message')).find((m: any) => m.data.subscription === subscription)
    expect(head.type).toBe('eth_subscription')
    expect(BigInt(head.data.result.number)).toBeGreaterThan(0n)

    // wallet_switchEthereumChain, with events (chainChanged and the legacy networkChanged).
    await page.evaluate(() => (globalThis as any).wallet.switchChain({ id: 31338 }))
    await page.waitForFunction(() => dapp.events.some((e: any) => e.event === 'chainChanged'))
    expect(await eventsOf(page, 'chainChanged')).toEqual(['0x7a6a'])
    expect(await eventsOf(page, 'networkChanged')).toEqual(['31338'])
    expect(await page.evaluate(() => [dapp.walletd().chainId, dapp.walletd().networkVersion])).toEqual([
      '0x7a6a',
      '31338',
    ])
    expect(await page.evaluate(() => dapp.walletd().request({ method: 'eth_chainId' }))).toBe('0x7a6a')
    await page.evaluate(() => (globalThis as any).wallet.switchChain({ id: 31337 }))
    await page.waitForFunction(() => dapp.events.filter((e: any) => e.event === 'chainChanged').length === 2)
    expect(await eventsOf(page, 'chainChanged')).toEqual(['0x7a6a', '0x7a69'])
    await context.close()
  })

  test("through wagmi's injected connector: by EIP-6963 discovery and by window.ethereum", async () => {
    const server = await dappServer()
    const { page, context } = await openPage(
      browser,
      server,
      injection(optionsFor(server.origin, { windowEthereum: true, isMetaMask: true })),
    )
    expect(
      await page.evaluate(() => [
        (globalThis as any).ethereum === dapp.walletd(),
        (globalThis as any).ethereum.isMetaMask,
      ]),
    ).toEqual([true, true])
    const result = await page.evaluate(async () => {
      const { wagmi, viem, chains } = dapp
      const config = wagmi.createConfig({
        chains: [chains.anvil, chains.anvil2],
        connectors: [wagmi.injected()],
        transports: { 31337: viem.custom(dapp.walletd()), 31338: viem.custom(dapp.walletd()) },
      })
      // wagmi found walletd itself through EIP-6963 (mipd): a connector with its rdns as id.
      const discovered = config.connectors.find((c: any) => c.id === 'local.walletd')
      const byDiscovery = await wagmi.connect(config, { connector: discovered })
      const signature = await wagmi.signMessage(config, { message: 'wagmi says hi' })
      await wagmi.switchChain(config, { chainId: 31338 })
      const switched = wagmi.getChainId(config)
      await wagmi.disconnect(config)
      // The plain injected() connector reads window.ethereum.
      const plain = config.connectors.find((c: any) => c.id === 'injected')
      const byWindow = await wagmi.connect(config, { connector: plain })
      const account = wagmi.getAccount(config)
      await wagmi.switchChain(config, { chainId: 31337 })
      return {
        connectors: config.connectors.map((c: any) => c.id),
        byDiscovery: { accounts: byDiscovery.accounts, chainId: byDiscovery.chainId },
        signature,
        switched,
        byWindow: { accounts: byWindow.accounts, status: account.status, connector: account.connector?.id },
        chainId: wagmi.getChainId(config),
      }
    })
    expect(result.connectors).toContain('local.walletd')
    expect(result.byDiscovery.accounts.length).toBeGreaterThan(0)
    expect(result.byDiscovery.chainId).toBe(31337)
    expect(
      await verifyMessage({
        address: result.byDiscovery.accounts[0],
        message: 'wagmi says hi',
        signature: result.signature,
      }),
    ).toBe(true)
    expect(result.switched).toBe(31338)
    expect(result.byWindow).toMatchObject({ status: 'connected', connector: 'injected' })
    expect(result.byWindow.accounts).toEqual(result.byDiscovery.accounts)
    expect(result.chainId).toBe(31337)
    await context.close()
  })

  test('two pages of different origins at once: separate sessions, events only to their own origin', async () => {
    const [a, b] = [await dappServer(), await dappServer()]
    expect(a.origin).not.toBe(b.origin)
    const pageA = await openPage(browser, a, injection(optionsFor(a.origin)))
    const pageB = await openPage(browser, b, injection(optionsFor(b.origin)))
    for (const { page } of [pageA, pageB]) {
      await page.evaluate(() => dapp.record(dapp.walletd()))
      await page.waitForFunction(() => dapp.walletd().isConnected())
    }
    const accountsA = await pageA.page.evaluate(() =>
      dapp.walletd().request({ method: 'eth_requestAccounts' }),
    )
    expect(accountsA.length).toBeGreaterThan(0)
    // B has no grant and sees nothing of A's.
    expect(await pageB.page.evaluate(() => dapp.walletd().request({ method: 'eth_accounts' }))).toEqual([])
    const subA = await pageA.page.evaluate(() =>
      dapp.walletd().request({ method: 'eth_subscribe', params: ['newHeads'] }),
    )
    await pageA.page.evaluate(() =>
      dapp.walletd().request({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x7a6a' }] }),
    )
    await pageA.page.waitForFunction(() => dapp.events.some((e: any) => e.event === 'chainChanged'))
    await anvilRpc('evm_mine')
    // B subscribes on its own chain and sees its own head; A's subscription died with its switch.
    const subB = await pageB.page.evaluate(() =>
      dapp.walletd().request({ method: 'eth_subscribe', params: ['newHeads'] }),
    )
    await anvilRpc('evm_mine')
    await pageB.page.waitForFunction(
      (id) => dapp.events.some((e: any) => e.event === 'message' && e.value.data.subscription === id),
      subB,
    )
    expect(await pageB.page.evaluate(() => dapp.walletd().chainId)).toBe('0x7a69')
    const eventsB = await pageB.page.evaluate(() => dapp.events.map((e: any) => e.event))
    expect(eventsB).not.toContain('chainChanged')
    expect(eventsB).not.toContain('accountsChanged')
    const subsSeenByB = await pageB.page.evaluate(() =>
      dapp.events.filter((e: any) => e.event === 'message').map((e: any) => e.value.data.subscription),
    )
    expect(new Set(subsSeenByB)).toEqual(new Set([subB]))
    expect(subsSeenByB).not.toContain(subA)
    // The daemon holds two sessions: A granted on chain 31338, B on the default chain without a grant.
    expect(d.daemon.services.sessions.peek(a.origin)).toMatchObject({ chainId: 31338 })
    expect(d.daemon.services.sessions.peek(a.origin)!.accounts.length).toBeGreaterThan(0)
    expect(d.daemon.services.sessions.peek(b.origin)?.accounts ?? []).toEqual([])
    await pageA.context.close()
    await pageB.context.close()
  })
})
