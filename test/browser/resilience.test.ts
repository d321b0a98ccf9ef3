import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocketServer } from 'ws'
import { identityFromKey } from '../../src/server/handshake/loadIdentityKey.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { transcriptOf } from '../helpers/handshakeClient.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { injection, launchChromium, openPage, type PageServer, serveDapp } from './helpers.js'

/**
 * What the provider does when things go wrong, in real Chromium: the daemon restarts under a page,
 * a fake daemon holds the port, a page has no injection or presents a token URL.
 */
declare const dapp: any

let browser: Awaited<ReturnType<typeof launchChromium>>
let server: PageServer

beforeAll(async () => {
  browser = await launchChromium()
  server = await serveDapp()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const roomy = {
  rateLimit: { classes: { prompt: { burst: 100, perSecond: 50 }, sign: { burst: 100, perSecond: 50 } } },
}

describe('resilience', () => {
  test('the daemon restarts mid-session: the page reconnects, its subscription keeps its id, no request hangs', async () => {
    // Connect is approved; the first signature waits (it is in flight when walletd goes away).
    const approver = createScriptedApprover(['approve', 'hang'], 'approve')
    const first = await startTestDaemon({ approver, config: roomy })
    let second: TestDaemon | undefined
    try {
      const { token } = first.daemon.tokens.create('restart-page', { origins: [server.origin] })
      const { page, context } = await openPage(
        browser,
        server,
        injection({
          url: first.wsUrl,
          publicKey: first.daemon.info.identity.publicKey,
          token,
          reconnect: { initialMs: 50, maxMs: 500 },
        }),
      )
      await page.evaluate(() => dapp.record(dapp.walletd()))
      await page.waitForFunction(() => dapp.walletd().isConnected())
      const accounts = await page.evaluate(() => dapp.walletd().request({ method: 'eth_requestAccounts' }))
      const sub = await page.evaluate(() =>
        dapp.walletd().request({ method: 'eth_subscribe', params: ['newHeads'] }),
      )
      await anvilRpc('evm_mine')
      await page.waitForFunction(
        (id) => dapp.events.some((e: any) => e.event === 'message' && e.value.data.subscription === id),
        sub,
      )

      // A signature in flight (the approver holds it), then walletd stops.
      await page.evaluate((a) => {
        ;(globalThis as any).signing = dapp
          .walletd()
          .request({ method: 'personal_sign', params: ['0x68656c6c6f', a] })
          .then(
            (r: unknown) => ({ result: r }),
            (e: any) => ({ code: e.code, message: e.message }),
          )
      }, accounts[0])
      await expect.poll(() => approver.seen.some((r) => r.method === 'personal_sign')).toBe(true)
      const port = first.port
      const accountEvents = await page.evaluate(
        () => dapp.events.filter((e: any) => e.event === 'accountsChanged').length,
      )
      await first.stop()
      await page.waitForFunction(() => dapp.events.some((e: any) => e.event === 'disconnect'))
      const disconnect = await page.evaluate(
        () => dapp.events.find((e: any) => e.event === 'disconnect').value,
      )
      expect(disconnect.code).toBe(1013)
      // The interrupted signature is not sent again: it fails with 4900 (it never hangs).
      const signing = await page.evaluate(() => (globalThis as any).signing)
      expect(signing.code).toBe(4900)
      // A read made while walletd is down waits for the next connection.
      await page.evaluate(() => {
        ;(globalThis as any).whileDown = dapp.walletd().request({ method: 'eth_blockNumber' })
      })
      expect(await page.evaluate(() => dapp.walletd().status)).toBe('reconnecting')

      // walletd comes back on the same port with the same data dir (identity key, tokens, grants).
      second = await startTestDaemon({
        approver,
        config: { ...roomy, server: { port, strictPort: true } },
        reuse: { dataDir: first.dataDir, token: first.token },
      })
      // connect again, after the disconnect (the first connect came before the page listened).
      await page.waitForFunction(() =>
        dapp.events
          .map((e: any) => e.event)
          .join(',')
          .includes('disconnect,connect'),
      )
      expect(await page.evaluate(() => (globalThis as any).whileDown)).toMatch(/^0x[0-9a-f]+$/)
      expect(await page.evaluate(() => dapp.walletd().status)).toBe('connected')
      // The grant survived: no accountsChanged on the resync, and the same accounts.
      expect(
        await page.evaluate(() => dapp.events.filter((e: any) => e.event === 'accountsChanged').length),
      ).toBe(accountEvents)
      expect(await page.evaluate(() => dapp.walletd().request({ method: 'eth_accounts' }))).toEqual(accounts)
      // The subscription was made again under the hood and keeps the page's id.
      const before = await page.evaluate(() => dapp.events.filter((e: any) => e.event === 'message').length)
      await anvilRpc('evm_mine')
      await page.waitForFunction(
        (n) => dapp.events.filter((e: any) => e.event === 'message').length > n,
        before,
      )
      const last = await page.evaluate(
        () => dapp.events.filter((e: any) => e.event === 'message').at(-1).value,
      )
      expect(last.data.subscription).toBe(sub)
      await context.close()
    } finally {
      await (second ?? first).close().catch(() => {})
      if (second) await first.close().catch(() => {})
    }
  })

  test('a fake daemon on the port (another identity key): the provider sends nothing and reports the mismatch', async () => {
    const real = await startTestDaemon()
    const impostor = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    const seen: { frames: string[]; http: string[]; upgrades: IncomingMessage['headers'][] } = {
      frames: [],
      http: [],
      upgrades: [],
    }
    const http = createServer((req, res) => {
      seen.http.push(`${req.method} ${req.url}`)
      res.writeHead(404).end()
    })
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'walletd.v1' })
    http.on('upgrade', (req, socket, head) => {
      seen.upgrades.push(req.headers)
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (m) => seen.frames.push(String(m)))
        // A convincing fake: a well-formed hello over the right transcript, signed by another key.
        const clientNonce = String(req.headers['sec-websocket-protocol'])
          .split(',')
          .map((p) => p.trim())
          .find((p) => p.startsWith('walletd.nonce.'))!
          .slice(14)
        const serverNonce = 's'.repeat(43)
        const transcript = transcriptOf({
          clientNonce,
          serverNonce,
          origin: String(req.headers.origin),
          host: String(req.headers.host),
          port: fakePort,
        })
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'walletd_hello',
            params: [
              { protocol: 'walletd/1', alg: 'ES256', serverNonce, signature: impostor.sign(transcript) },
            ],
          }),
        )
      })
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    const fakePort = (http.address() as { port: number }).port
    try {
      const { token } = real.daemon.tokens.create('fake-page', { origins: [server.origin] })
      const { page, context } = await openPage(
        browser,
        server,
        injection({
          url: `ws://127.0.0.1:${fakePort}/rpc`,
          publicKey: real.daemon.info.identity.publicKey,
          token,
        }),
      )
      const outcome = await page.evaluate(() =>
        dapp
          .walletd()
          .request({ method: 'eth_accounts' })
          .then(
            () => ({ ok: true }),
            (e: any) => ({ code: e.code, message: e.message }),
          ),
      )
      expect(outcome.code).toBe(4900)
      expect(outcome.message).toContain('wallet daemon identity mismatch')
      expect(await page.evaluate(() => [dapp.walletd().status, dapp.walletd().error?.message])).toEqual([
        'failed',
        expect.stringContaining('wallet daemon identity mismatch'),
      ])
      // It sent nothing: no frame, no fallback to HTTP, and the token appeared in no header.
      expect(seen.upgrades).toHaveLength(1)
      expect(seen.frames).toEqual([])
      expect(seen.http).toEqual([])
      expect(JSON.stringify(seen.upgrades)).not.toContain(token)
      expect(JSON.stringify(seen.upgrades)).not.toContain(token.slice(4))
      await context.close()
    } finally {
      wss.close()
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
      await real.close()
    }
  })

  test('a page without injection cannot connect; a page presenting a token URL is refused', async () => {
    const d = await startTestDaemon()
    try {
      const { token: urlToken } = d.daemon.tokens.create('script', { url: true })
      const { page, context } = await openPage(browser, server)
      expect(await page.evaluate(() => [dapp.announced.length, (globalThis as any).ethereum])).toEqual([
        0,
        undefined,
      ])
      const attempts = await page.evaluate(
        async ([ws, http, tokenPath]: [string, string, string]) => {
          const tryWs = (url: string, protocols: string[], send?: string) =>
            new Promise<string>((resolve) => {
              const socket = new WebSocket(url, protocols)
              const log: string[] = []
              socket.onopen = () => {
                log.push('open')
                if (send) socket.send(send)
              }
              socket.onmessage = (e) =>
                log.push(JSON.parse(e.data).method ?? JSON.stringify(JSON.parse(e.data).error?.code))
              socket.onclose = (e) => resolve([...log, `close ${e.code}`].join(' · '))
            })
          const tryFetch = (url: string) =>
            fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{"jsonrpc":"2.0","id":1,"method":"eth_accounts"}',
            }).then(
              (r) => `HTTP ${r.status}`,
              (e) => e.name,
            )
          return {
            plain: await tryWs(ws, ['walletd.v1']),
            handshake: await tryWs(
              ws,
              ['walletd.v1', `walletd.nonce.${'n'.repeat(43)}`],
              '{"jsonrpc":"2.0","id":1,"method":"eth_requestAccounts"}',
            ),
            post: await tryFetch(http),
            tokenUrlWs: await tryWs(`${ws}/${tokenPath}`, []),
            tokenUrlPost: await tryFetch(`${http}/${tokenPath}`),
          }
        },
        [d.wsUrl, d.httpUrl, urlToken] as [string, string, string],
      )
      // Refused before the upgrade (no token); the handshake socket gets a hello but no method runs.
      expect(attempts.plain).toBe('close 1006')
      expect(attempts.handshake).toBe('open · walletd_hello · 4100 · close 1008')
      expect(attempts.post).toBe('TypeError')
      expect(attempts.tokenUrlWs).toBe('close 1006')
      expect(attempts.tokenUrlPost).toBe('TypeError')
      expect(d.daemon.services.sessions.peek(server.origin)?.accounts ?? []).toEqual([])
      expect(d.daemon.services.sessions.peek('token:script')).toBeUndefined()
      await context.close()
    } finally {
      await d.close()
    }
  })
})
