import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { createLogSink } from '../../test/helpers/logSink.js'
import { loadConfig } from '../config/loadConfig.js'
import { createMetrics } from '../metrics.js'
import { createRequestLimiter } from '../ratelimit/createRequestLimiter.js'
import type { Services } from '../rpc/services.js'
import { createSessionStore } from '../session/createSessionStore.js'
import { createChainRegistry } from '../upstream/createChainRegistry.js'
import { createSubscriptionRegistry } from '../upstream/createSubscriptionRegistry.js'
import { createConnectionLayer } from './createConnectionLayer.js'
import { createConnectionRegistry } from './createConnectionRegistry.js'

/**
 * docs/protocol.md shows one example of each of walletd's own pushes. Fails when the layer sends a
 * push the section does not show, or when an example's params differ in shape from what is sent.
 */

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('\n## Server pushes'), doc.indexOf('\n## Methods'))

/** The JSON examples of the section, by method. */
const examples = new Map<string, { params: unknown }>()
for (const line of section.split('\n')) {
  if (!line.startsWith('{ "jsonrpc"')) continue
  const msg = JSON.parse(line.replaceAll('…', '')) as { method: string; params: unknown }
  examples.set(msg.method, msg)
}

/** The shape of a value: its keys and types, not its values. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(
      Object.entries(v)
        .sort()
        .map(([k, x]) => [k, shape(x)]),
    )
  return typeof v
}

async function sentPushes() {
  const config = loadConfig({
    env: {},
    overrides: {
      chains: [1, 10].map((chainId) => ({
        chainId,
        name: String(chainId),
        rpcUrls: ['http://127.0.0.1:1'],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      })),
    },
  })
  const metrics = createMetrics({ defaults: false })
  const sessions = createSessionStore({ defaultChainId: () => 1 })
  const services = {
    config,
    log: createLogSink().logger,
    metrics,
    chains: createChainRegistry(config.chains, 1),
    sessions,
    limiter: createRequestLimiter({ config: config.rateLimit, now: Date.now }),
    subscriptions: createSubscriptionRegistry({ metrics, maxPerConnection: 4 }),
    signer: { accounts: () => ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'] },
    now: Date.now,
  } as unknown as Services
  const layer = createConnectionLayer({
    services,
    handler: { handleText: async () => null, handleRequest: async () => null },
    connections: createConnectionRegistry(),
    version: '0.1.0',
  })
  layer.watchSessions()
  const sent: Array<{ method: string; params: unknown }> = []
  layer.open({
    transport: 'ws',
    origin: 'https://app.example',
    tokenName: 't',
    pushes: true,
    sink: { write: (t) => sent.push(JSON.parse(t)), buffered: () => 0, close() {}, terminate() {} },
  })
  sessions.grantAccounts('https://app.example', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])
  sessions.setChain('https://app.example', 10)
  return sent
}

describe('docs/protocol.md: server pushes', () => {
  test('every push the layer sends is shown, with the params it has', async () => {
    const sent = await sentPushes()
    expect(sent.map((m) => m.method)).toEqual([
      'walletd_state',
      'walletd_accountsChanged',
      'walletd_chainChanged',
    ])
    for (const msg of sent) {
      const example = examples.get(msg.method)
      expect(example, `no example of ${msg.method} in "## Server pushes"`).toBeDefined()
      expect(shape(example!.params)).toEqual(shape(msg.params))
    }
  })

  test('the examples are only of pushes walletd sends', async () => {
    const sent = new Set((await sentPushes()).map((m) => m.method))
    expect([...examples.keys()].filter((m) => m !== 'eth_subscription' && !sent.has(m))).toEqual([])
  })
})
