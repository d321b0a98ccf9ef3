import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEMO_HTML, DEMO_SCRIPT } from '../../dev/demoPage.js'
import { providerBundlePath } from './providerBundle.js'

export type DevDemoOptions = {
  /** The injection options of the demo page: walletd's URL, identity key and the demo token. */
  providerOptions: () => { url: string; publicKey: string; token: string } | null
  /** Where the provider bundle is read from (default: the package's build). */
  bundlePath?: string
}

/** Only the demo page itself may load its scripts (one holds a token): no cross-site inclusion. */
function sameOrigin(req: FastifyRequest, reply: FastifyReply): boolean {
  const site = req.headers['sec-fetch-site']
  if (site === undefined || site === 'same-origin' || site === 'none') return true
  reply.code(403).header('cache-control', 'no-store').send({ error: 'the demo loads only on its own page' })
  return false
}

const headers = (type: string) => ({
  'content-type': `${type}; charset=utf-8`,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
})

/**
 * Dev mode only: the demo dApp at `/demo` (origin `http://127.0.0.1:PORT`, walletd's own), with
 * the provider injected the way a host would (`/demo/provider.js`: the bundle behind its options,
 * with a token bound to the demo's origins). The demo signs with Anvil's public test keys only.
 */
export function registerDevDemo(
  app: FastifyInstance,
  { providerOptions, bundlePath = providerBundlePath() }: DevDemoOptions,
) {
  let bundle: string | null = null
  try {
    bundle = readFileSync(bundlePath, 'utf8')
  } catch {}
  app.get('/demo', async (req, reply) => {
    if (!sameOrigin(req, reply)) return reply
    return reply
      .headers({
        ...headers('text/html'),
        'content-security-policy':
          "default-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
      })
      .send(DEMO_HTML)
  })
  app.get('/demo/app.js', async (req, reply) => {
    if (!sameOrigin(req, reply)) return reply
    return reply.headers(headers('text/javascript')).send(DEMO_SCRIPT)
  })
  app.get('/demo/provider.js', async (req, reply) => {
    if (!sameOrigin(req, reply)) return reply
    const options = providerOptions()
    if (bundle === null || options === null)
      return reply.code(404).send({ error: 'the provider bundle is not built (npm run build)' })
    return reply
      .headers(headers('text/javascript'))
      .send(`globalThis.walletdProviderOptions = ${JSON.stringify(options)};\n${bundle}`)
  })
}
