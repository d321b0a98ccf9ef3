import { pino } from 'pino'
import { describe, expect, test } from 'vitest'
import type { ChainConfig } from '../config/schema.js'
import { UpstreamUnavailableError } from '../errors/startup.js'
import { resolveChains } from './resolveChains.js'

const log = pino({ level: 'silent' })
const chain = (
  chainId: number,
  name = `c${chainId}`,
  url = `https://rpc${chainId}.example`,
): ChainConfig => ({
  chainId,
  name,
  rpcUrls: [url],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})
const base = {
  configured: [] as ChainConfig[],
  dev: null,
  upstreamUrls: [] as string[],
  added: [] as ChainConfig[],
  defaultChainId: null,
  connectTimeoutMs: 1000,
  log,
}

describe('resolveChains', () => {
  test('the dev chain replaces a configured one with its id and is the default', async () => {
    const r = await resolveChains({
      ...base,
      configured: [chain(1), chain(31337, 'old')],
      dev: chain(31337, 'Anvil (dev)'),
    })
    expect(r.chains.map((c) => c.name)).toEqual(['c1', 'Anvil (dev)'])
    expect(r.defaultChainId).toBe(31337)
  })

  test('an --upstream URL becomes its chain’s first URL (known name kept); unknown ids get a known name', async () => {
    const probe = async (url: string) => (url.includes('one') ? 1 : 10)
    const r = await resolveChains({
      ...base,
      configured: [chain(1, 'Mainnet')],
      upstreamUrls: ['https://one.example', 'https://op.example'],
      probe,
    })
    expect(r.chains[0]).toMatchObject({
      chainId: 1,
      name: 'Mainnet',
      rpcUrls: ['https://one.example', 'https://rpc1.example'],
    })
    expect(r.chains[1]).toMatchObject({ chainId: 10, rpcUrls: ['https://op.example'] })
    expect(r.defaultChainId).toBe(1)
  })

  test('added chains never replace configured ones; a default that is not a chain, or no chain, is an error', async () => {
    const r = await resolveChains({
      ...base,
      configured: [chain(1)],
      added: [chain(1, 'page says'), chain(5)],
    })
    expect(r.chains.map((c) => c.name)).toEqual(['c1', 'c5'])
    await expect(
      resolveChains({ ...base, configured: [chain(1)], defaultChainId: 2 }),
    ).rejects.toBeInstanceOf(UpstreamUnavailableError)
    await expect(resolveChains({ ...base, added: [chain(5)] })).rejects.toThrow(/No chain is configured/)
  })
})
