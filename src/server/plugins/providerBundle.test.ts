import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { packageRoot } from '../../util/packageRoot.js'
import { registerDevDemo } from './devDemo.js'
import { providerBundlePath, registerProviderBundle } from './providerBundle.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A stand-in bundle file (the real one exists only after `npm run build`). */
function bundleFile(text = 'console.log("bundle")') {
  const dir = mkdtempSync(join(tmpdir(), 'walletd-bundle-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'walletd-provider.min.js')
  writeFileSync(file, text)
  return file
}

describe('the provider bundle', () => {
  it('is read from the package build: the minified file by default', () => {
    expect(providerBundlePath()).toBe(join(packageRoot(), 'provider-dist', 'walletd-provider.min.js'))
    expect(providerBundlePath(false)).toBe(join(packageRoot(), 'provider-dist', 'walletd-provider.js'))
  })

  it('GET /provider.js serves it as public script; 404 when it is not built', async () => {
    const app = Fastify()
    cleanup.push(() => app.close())
    registerProviderBundle(app, bundleFile())
    const res = await app.inject({ method: 'GET', url: '/provider.js' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('console.log("bundle")')
    expect(res.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    })
    const missing = Fastify()
    cleanup.push(() => missing.close())
    registerProviderBundle(missing, join(tmpdir(), 'walletd-no-such-bundle.js'))
    const none = await missing.inject({ method: 'GET', url: '/provider.js' })
    expect(none.statusCode).toBe(404)
    expect(none.json()).toEqual({ error: 'the provider bundle is not built (npm run build)' })
  })

  it('the demo’s provider is the bundle behind its options; 404 without options or without a bundle', async () => {
    let options: { url: string; publicKey: string; token: string } | null = {
      url: 'u',
      publicKey: 'k',
      token: 't',
    }
    const app = Fastify()
    cleanup.push(() => app.close())
    registerDevDemo(app, { providerOptions: () => options, bundlePath: bundleFile('B') })
    const res = await app.inject({ method: 'GET', url: '/demo/provider.js' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('globalThis.walletdProviderOptions = {"url":"u","publicKey":"k","token":"t"};\nB')
    expect(res.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    })
    const crossSite = await app.inject({
      method: 'GET',
      url: '/demo/provider.js',
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.statusCode).toBe(403)
    expect(crossSite.body).not.toContain('"token"')
    options = null
    const noOptions = await app.inject({ method: 'GET', url: '/demo/provider.js' })
    expect(noOptions.statusCode).toBe(404)
    expect(noOptions.json()).toEqual({ error: 'the provider bundle is not built (npm run build)' })
    const unbuilt = Fastify()
    cleanup.push(() => unbuilt.close())
    registerDevDemo(unbuilt, {
      providerOptions: () => ({ url: 'u', publicKey: 'k', token: 't' }),
      bundlePath: join(tmpdir(), 'walletd-no-such-bundle.js'),
    })
    expect((await unbuilt.inject({ method: 'GET', url: '/demo/provider.js' })).statusCode).toBe(404)
  })
})
