import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { packageRoot } from '../../util/packageRoot.js'

/** Where the built provider bundle is (npm run build writes it). */
export const providerBundlePath = (minified = true) =>
  join(packageRoot(), 'provider-dist', minified ? 'walletd-provider.min.js' : 'walletd-provider.js')

/**
 * `GET /provider.js`: the provider bundle (public code, no secret), for hosts that load it by URL
 * and set `walletdProviderOptions` themselves. Read once; 404 when the package was not built.
 * `bundlePath`: where it is read from (default: the package's build).
 */
export function registerProviderBundle(app: FastifyInstance, bundlePath = providerBundlePath()) {
  let bundle: string | null = null
  try {
    bundle = readFileSync(bundlePath, 'utf8')
  } catch {}
  app.get('/provider.js', async (_req, reply) => {
    if (bundle === null)
      return reply.code(404).send({ error: 'the provider bundle is not built (npm run build)' })
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(bundle)
  })
}
