import { verifyMessage } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { anvilRpc, waitForReceipt } from '../helpers/anvilRpc.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { launchChromium } from './helpers.js'

/**
 * `walletd start --dev` serves a demo dApp at /demo that finds walletd through EIP-6963 and walks
 * through connect, sign, send, chain switch and events; only in dev mode, only on its own page.
 */
let d: TestDaemon
let browser: Awaited<ReturnType<typeof launchChromium>>
const approver = createScriptedApprover([], 'approve')

beforeAll(async () => {
  d = await startTestDaemon({
    approver,
    config: {
      dev: true,
      rateLimit: { classes: { prompt: { burst: 100, perSecond: 50 }, sign: { burst: 100, perSecond: 50 } } },
    },
  })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await d?.close()
})

test('the demo dApp: connect, sign, send, chain switch and events, approved by the approver', async () => {
  const demo = d.daemon.info.urls.demo!
  expect(demo).toBe(`http://127.0.0.1:${d.port}/demo`)
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(demo)
  const text = (id: string) => page.locator(`#${id}`).textContent()
  await page.waitForFunction(
    () => (globalThis as any).document.getElementById('status').textContent === 'connected',
  )
  expect(await text('wallet')).toBe('walletd (local.walletd)')
  expect(await text('chain')).toBe('0x7a69')

  const result = async (button: string, until: string) => {
    await page.click(`#${button}`)
    await page.waitForFunction(
      (m) => (globalThis as any).document.getElementById('result').textContent.includes(m),
      until,
    )
    return JSON.parse((await text('result'))!)
  }
  const connected = await result('connect', '"method": "eth_requestAccounts"')
  const account = connected.result[0]
  expect(account).toMatch(/^0x[0-9a-f]{40}$/)
  expect(await text('account')).toBe(account)
  expect(approver.seen.at(-1)).toMatchObject({
    origin: `http://127.0.0.1:${d.port}`,
    method: 'eth_requestAccounts',
  })

  const signed = await result('sign', '"method": "personal_sign"')
  expect(
    await verifyMessage({
      address: account,
      message: 'Hello from the walletd demo dApp',
      signature: signed.result,
    }),
  ).toBe(true)

  const sent = await result('send', '"method": "eth_sendTransaction"')
  const receipt = await waitForReceipt(sent.result, d.daemon.anvil!.httpUrl)
  expect(receipt.status).toBe('0x1')

  const subscribed = await result('subscribe', '"method": "eth_subscribe"')
  await anvilRpc('evm_mine', [], d.daemon.anvil!.httpUrl)
  await page.waitForFunction(
    (id) => (globalThis as any).document.getElementById('events').textContent.includes(id),
    subscribed.result,
  )

  await page.fill('#chainId', '0x1')
  const switched = await result('switch', '"method": "wallet_switchEthereumChain"')
  expect(switched.error.code).toBe(4902) // dev mode has one chain: the demo shows the refusal
  const events = (await text('events'))!
  expect(events).toContain('accountsChanged')
  expect(events).toContain('message')
  await context.close()
})

test('the demo is for its own page only, and only in dev mode', async () => {
  const crossSite = await fetch(`${d.baseUrl}/demo/provider.js`, {
    headers: { 'sec-fetch-site': 'cross-site' },
  })
  expect(crossSite.status).toBe(403)
  expect(await crossSite.text()).not.toContain('wdt_')
  const withOrigin = await fetch(`${d.baseUrl}/demo/provider.js`, {
    headers: { origin: 'https://evil.example' },
  })
  expect(withOrigin.status).toBe(403)
  const plain = await startTestDaemon()
  try {
    expect((await fetch(`${plain.baseUrl}/demo`)).status).toBe(404)
    expect(plain.daemon.info.urls.demo).toBeUndefined()
  } finally {
    await plain.close()
  }
})
