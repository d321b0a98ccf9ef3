import { readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import type { InstallOptions } from 'walletd/provider'

/** Debian's Chromium, as the brief says: never a downloaded browser; a fresh profile per launch. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

const distFile = new URL('../../provider-dist/walletd-provider.js', import.meta.url)

/** The built IIFE a host injects; refuses a bundle older than its sources (run npm run build). */
export function providerBundle(): string {
  const built = statSync(distFile).mtimeMs
  for (const f of [
    'createWalletdProvider.ts',
    'createConnection.ts',
    'links/socketLink.ts',
    'links/httpLink.ts',
  ]) {
    if (statSync(new URL(`../../src/provider/${f}`, import.meta.url)).mtimeMs > built)
      throw new Error('provider-dist is older than src/provider: run `npm run build`')
  }
  return readFileSync(distFile, 'utf8')
}

/** What a host injects: the options, then the bundle (as `walletd provider` writes it). */
export function injection(options: Omit<InstallOptions, 'bridge'>, before = ''): string {
  return `${before}\nglobalThis.walletdProviderOptions = Object.assign(${JSON.stringify(options)}, globalThis.walletdProviderOptions);\n${providerBundle()}`
}

let dappScript: Promise<string> | undefined
/** The test dApp's script, bundled once per run (viem, @wagmi/core). */
export function dappBundle(): Promise<string> {
  dappScript ??= build({
    entryPoints: [new URL('./fixtures/dapp.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
  }).then((r) => r.outputFiles[0]!.text)
  return dappScript
}

export type PageServer = { origin: string; url: string; close(): Promise<void> }

/**
 * Serves the dApp on 127.0.0.1, a free port: `/` (the page) and `/dapp.js`. Each server is its own
 * origin. `csp` adds a Content-Security-Policy header to the page.
 */
export async function serveDapp(options: { csp?: string; hostname?: string } = {}): Promise<PageServer> {
  const script = await dappBundle()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/dapp.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(script)
      return
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      ...(options.csp ? { 'content-security-policy': options.csp } : {}),
    })
    res.end(
      '<!doctype html><html><head><title>test dApp</title><script src="/dapp.js"></script></head><body>dApp</body></html>',
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const origin = `http://${options.hostname ?? '127.0.0.1'}:${port}`
  return {
    origin,
    url: `${origin}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** A fresh context and page on `server`, with `init` injected before any page script (addInitScript). */
export async function openPage(browser: Browser, server: PageServer, init?: string) {
  const context = await browser.newContext()
  const page = await context.newPage()
  if (init) await page.addInitScript({ content: init })
  await page.goto(server.url)
  await page.waitForFunction(() => (globalThis as any).dapp !== undefined)
  return { context, page }
}
