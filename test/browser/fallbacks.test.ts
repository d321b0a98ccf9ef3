import type { BrowserContext, Frame } from 'playwright-core'
import { verifyMessage } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createBridgeRelay, type SocketLike } from 'walletd/provider'
import WebSocket from 'ws'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { injection, launchChromium, openPage, type PageServer, serveDapp } from './helpers.js'

/**
 * The fallbacks, in real Chromium: HTTP + event stream when WebSockets are blocked; the host bridge
 * (Playwright's exposeBinding as the native side, attesting the frame's origin) for a page whose
 * CSP forbids connecting to walletd; and without a bridge, a clear error instead of a hang.
 */
declare const dapp: any

let browser: Awaited<ReturnType<typeof launchChromium>>
let d: TestDaemon
const servers: PageServer[] = []
const approver = createScriptedApprover([], 'approve')
const CSP = "connect-src 'self'"

beforeAll(async () => {
  browser = await launchChromium()
  d = await startTestDaemon({
    approver,
    config: {
      rateLimit: { classes: { prompt: { burst: 100, perSecond: 50 }, sign: { burst: 100, perSecond: 50 } } },
    },
  })
})
afterAll(async () => {
  await browser?.close()
  for (const s of servers) await s.close()
  await d?.close()
})

async function dappServer(csp?: string) {
  const s = await serveDapp(csp ? { csp } : {})
  servers.push(s)
  return s
}

const tokenFor = (origin: string, name: string) => d.daemon.tokens.create(name, { origins: [origin] }).token

/**
 * The native side of the bridge for a context: each frame's messages go to a relay attached with
 * the origin the browser reports for that frame (never one the page claims); the relay holds the
 * token and runs the handshake itself.
 */
async function bridgeNativeSide(context: BrowserContext, token: string) {
  const relay = createBridgeRelay({
    url: d.wsUrl,
    publicKey: d.daemon.info.identity.publicKey,
    token,
    createSocket: (url, protocols, origin) =>
      new WebSocket(url, protocols, { headers: { origin } }) as unknown as SocketLike,
  })
  const frames = new Map<Frame, ReturnType<typeof relay.attach>>()
  const attested: string[] = []
  await context.exposeBinding('__walletdBridgePost', ({ frame }, message: string) => {
    let attached = frames.get(frame)
    if (!attached) {
      const origin = new URL(frame.url()).origin
      attested.push(origin)
      attached = relay.attach(origin, (m) => {
        frame.evaluate((x) => (globalThis as any).__walletdBridgeReceive(x), m).catch(() => {})
      })
      frames.set(frame, attached)
    }
    attached.receive(message)
  })
  return { attested }
}

/** The page half of the bridge, set before the provider script (as a host's preload would). */
const pageBridge = `(() => {
  let listener = null
  globalThis.__walletdBridgeReceive = (m) => listener && listener(m)
  globalThis.walletdProviderOptions = {
    bridge: { postMessage: (m) => globalThis.__walletdBridgePost(m), onMessage: (l) => { listener = l } },
  }
})()`

const settle = (page: any, method: string, params?: unknown[]) =>
  page.evaluate(
    ([m, p]: [string, unknown[] | undefined]) =>
      dapp
        .walletd()
        .request({ method: m, ...(p ? { params: p } : {}) })
        .then(
          (result: unknown) => ({ result }),
          (e: any) => ({ code: e.code, message: e.message }),
        ),
    [method, params],
  )

describe('fallbacks', () => {
  test('falls back to HTTP and the event stream when WebSockets are blocked', async () => {
    const server = await dappServer()
    const blockWebSockets = `globalThis.WebSocket = function () { throw new DOMException('WebSockets are disabled in this host', 'SecurityError') }`
    const { page, context } = await openPage(
      browser,
      server,
      injection(
        {
          url: d.wsUrl,
          publicKey: d.daemon.info.identity.publicKey,
          token: tokenFor(server.origin, 'sse-page'),
        },
        blockWebSockets,
      ),
    )
    await page.evaluate(() => dapp.record(dapp.walletd()))
    await page.waitForFunction(() => dapp.walletd().isConnected())
    expect(await page.evaluate(() => dapp.walletd().transport)).toBe('http')
    const { result: accounts } = await settle(page, 'eth_requestAccounts')
    expect(accounts.length).toBeGreaterThan(0)
    await page.waitForFunction(() => dapp.events.some((e: any) => e.event === 'accountsChanged'))
    const { result: subscription } = await settle(page, 'eth_subscribe', ['newHeads'])
    await anvilRpc('evm_mine')
    await page.waitForFunction(
      (id) => dapp.events.some((e: any) => e.event === 'message' && e.value.data.subscription === id),
      subscription,
    )
    await context.close()
  })

  test('a page whose CSP forbids connecting works through the host bridge; the native side attests its origin', async () => {
    const server = await dappServer(CSP)
    const context = await browser.newContext()
    const native = await bridgeNativeSide(context, tokenFor(server.origin, 'bridge-host'))
    // The page itself was also given a token: its own connections are blocked by its CSP, so the
    // provider moves on to the bridge.
    const page = await context.newPage()
    await page.addInitScript({
      content: injection(
        {
          url: d.wsUrl,
          publicKey: d.daemon.info.identity.publicKey,
          token: tokenFor(server.origin, 'csp-page'),
        },
        pageBridge,
      ),
    })
    await page.goto(server.url)
    await page.waitForFunction(() => (globalThis as any).dapp !== undefined)
    await page.evaluate(() => dapp.record(dapp.walletd()))
    await page.waitForFunction(() => dapp.walletd().isConnected(), undefined, { timeout: 20_000 })
    expect(await page.evaluate(() => dapp.walletd().transport)).toBe('bridge')
    expect(native.attested).toEqual([server.origin])
    const { result: accounts } = await settle(page, 'eth_requestAccounts')
    expect(await page.evaluate(() => dapp.walletd().chainId)).toBe('0x7a69')
    const { result: signature } = await settle(page, 'personal_sign', ['0x6869', accounts[0]])
    expect(await verifyMessage({ address: accounts[0], message: { raw: '0x6869' }, signature })).toBe(true)
    // The session is the page's origin, as the native side attested it.
    expect(approver.seen.at(-1)).toMatchObject({ origin: server.origin, method: 'personal_sign' })
    await context.close()
  })

  test('a bridge-only page holds no token at all and still works', async () => {
    const server = await dappServer(CSP)
    const context = await browser.newContext()
    await bridgeNativeSide(context, tokenFor(server.origin, 'bridge-only-host'))
    const page = await context.newPage()
    await page.addInitScript({ content: injection({ transports: ['bridge'] }, pageBridge) })
    await page.goto(server.url)
    await page.waitForFunction(() => (globalThis as any).dapp !== undefined)
    await page.waitForFunction(() => dapp.walletd().isConnected())
    expect(await settle(page, 'eth_chainId')).toEqual({ result: '0x7a69' })
    expect(await page.content()).not.toContain('wdt_')
    await context.close()
  })

  test('without a bridge, a CSP-blocked page fails with a clear error and never hangs', async () => {
    const server = await dappServer(CSP)
    const { page, context } = await openPage(
      browser,
      server,
      injection({
        url: d.wsUrl,
        publicKey: d.daemon.info.identity.publicKey,
        token: tokenFor(server.origin, 'csp-alone'),
      }),
    )
    const outcome = await settle(page, 'eth_requestAccounts')
    expect(outcome.code).toBe(4900)
    expect(outcome.message).toContain('Content-Security-Policy')
    expect(await page.evaluate(() => dapp.walletd().status)).toBe('failed')
    await context.close()
  })
})
