import { describe, expect, it } from 'vitest'
import {
  CHAIN_ID,
  createSigningHarness,
  ORIGIN,
  recordingApprover,
} from '../../../test/helpers/signingFakes.js'
import type { SessionChange } from '../../session/types.js'
import { createWalletAddEthereumChain, isAllowedRpcUrl, MAX_ADDED_CHAINS } from './wallet_addEthereumChain.js'

const OTHER = 'https://other.example'

/** A harness whose probe answers from a table of URL → chain id (absent: unreachable). */
function harness(answers: Record<string, number>, decide?: Parameters<typeof recordingApprover>[0]) {
  const probed: string[] = []
  const method = createWalletAddEthereumChain({
    probe: async (url) => {
      probed.push(url)
      const id = answers[url]
      if (id === undefined) throw new Error('unreachable')
      return id
    },
  })
  const { approver, seen } = recordingApprover(decide)
  const h = createSigningHarness({ approver, replace: [method] })
  h.services.chains.add({
    chainId: CHAIN_ID,
    name: 'Anvil',
    rpcUrls: ['ws://127.0.0.1:8545'],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  })
  const changes: SessionChange[] = []
  h.sessions.onChange((c) => changes.push(c))
  return { ...h, seen, probed, changes }
}

const params = (over: Record<string, unknown> = {}) => [
  {
    chainId: '0x1e240', // 123456
    chainName: 'Test Chain',
    rpcUrls: ['https://rpc.test.example/v1/SECRETKEY'],
    nativeCurrency: { name: 'Test Ether', symbol: 'TETH', decimals: 18 },
    blockExplorerUrls: ['https://scan.test.example'],
    iconUrls: ['https://icons.example/x.png'],
    ...over,
  },
]

describe('wallet_addEthereumChain', () => {
  it('probes the RPC URL, asks once showing the host, adds the chain, persists it and switches this origin only', async () => {
    const h = harness({ 'https://rpc.test.example/v1/SECRETKEY': 123456 })
    const { result, error } = await h.call('wallet_addEthereumChain', params())
    expect(error).toBeUndefined()
    expect(result).toBeNull()
    expect(h.probed).toEqual(['https://rpc.test.example/v1/SECRETKEY'])
    expect(h.seen).toHaveLength(1)
    const prompt = h.seen[0]!
    expect(prompt.summary).toBe('Add chain Test Chain (123456) via rpc.test.example and switch to it')
    expect(prompt.details).toMatchObject({
      chainId: 123456,
      name: 'Test Chain',
      rpcUrls: ['https://rpc.test.example/…'],
      nativeCurrency: 'Test Ether (TETH), 18 decimals',
    })
    expect(JSON.stringify(prompt)).not.toContain('SECRETKEY')
    expect(prompt.warnings).toEqual([])
    expect(h.services.chains.get(123456)).toMatchObject({
      name: 'Test Chain',
      rpcUrls: ['https://rpc.test.example/v1/SECRETKEY'],
    })
    expect(h.services.upstreams.get(123456)).toBeDefined()
    expect(h.services.addedChains.list()).toEqual([
      expect.objectContaining({ chainId: 123456, addedBy: ORIGIN, addedAt: 1_700_000_000_000 }),
    ])
    expect(h.changes).toEqual([{ kind: 'chainChanged', origin: ORIGIN, chainId: 123456 }])
    expect(h.sessions.get(OTHER).chainId).toBe(CHAIN_ID)
    // The added chain is now known: another origin switches to it with a switch prompt.
    expect(
      (await h.call('wallet_switchEthereumChain', [{ chainId: '0x1e240' }], OTHER)).error,
    ).toBeUndefined()
    expect(h.seen[1]!.summary).toBe('Switch to Test Chain (chain 123456)')
  })

  it('a known chain: no probe; a switch prompt when it is not active, nothing when it is', async () => {
    const h = harness({})
    h.sessions.setChain(ORIGIN, 1)
    h.services.chains.add({
      chainId: 1,
      name: 'Mainnet',
      rpcUrls: ['https://eth.example'],
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      blockExplorerUrls: [],
    })
    h.changes.length = 0
    const anvil = params({ chainId: '0x7a69', rpcUrls: ['http://127.0.0.1:9999'] })
    expect((await h.call('wallet_addEthereumChain', anvil)).result).toBeNull()
    expect(h.probed).toEqual([])
    expect(h.seen).toHaveLength(1)
    expect(h.seen[0]!.summary).toBe(`Switch to Anvil (chain ${CHAIN_ID})`)
    expect(h.seen[0]!.details.note).toMatch(/ignored/)
    expect(h.changes).toEqual([{ kind: 'chainChanged', origin: ORIGIN, chainId: CHAIN_ID }])
    expect(h.services.chains.get(CHAIN_ID)!.rpcUrls).toEqual(['ws://127.0.0.1:8545'])
    expect((await h.call('wallet_addEthereumChain', anvil)).result).toBeNull()
    expect(h.seen).toHaveLength(1) // already active: no prompt
    expect(h.services.addedChains.size).toBe(0)
  })

  it('a URL that answers another chain id: -32602 before any prompt; an unreachable one: -32603', async () => {
    const h = harness({ 'https://rpc.test.example/v1/SECRETKEY': 1 })
    const { error } = await h.call('wallet_addEthereumChain', params())
    expect(error).toMatchObject({
      code: -32602,
      message:
        'Invalid parameters: the RPC URL https://rpc.test.example/… is chain 1 (0x1), not the requested chain 123456 (0x1e240).',
    })
    expect(JSON.stringify(error)).not.toContain('SECRETKEY')
    const unreachable = await h.call('wallet_addEthereumChain', params({ rpcUrls: ['https://down.example'] }))
    expect(unreachable.error).toMatchObject({
      code: -32603,
      message: 'Could not fetch chain ID from https://down.example. Is the RPC URL correct?',
    })
    // Every URL must answer the same id.
    const both = harness({ 'https://a.example': 123456, 'https://b.example': 5 })
    expect(
      (
        await both.call(
          'wallet_addEthereumChain',
          params({ rpcUrls: ['https://a.example', 'https://b.example'] }),
        )
      ).error?.code,
    ).toBe(-32602)
    expect([...h.seen, ...both.seen]).toHaveLength(0)
    expect(h.services.chains.has(123456)).toBe(false)
  })

  it('rejected: 4001, nothing added, no switch', async () => {
    const h = harness({ 'https://rpc.test.example/v1/SECRETKEY': 123456 }, async () => ({
      approved: false,
      reason: 'rejected',
    }))
    expect((await h.call('wallet_addEthereumChain', params())).error?.code).toBe(4001)
    expect(h.services.chains.has(123456)).toBe(false)
    expect(h.services.addedChains.size).toBe(0)
    expect(h.changes).toEqual([])
  })

  it('warns when the site supplies the RPC for a well-known chain', async () => {
    const h = harness({ 'https://my-node.example': 10 })
    await h.call(
      'wallet_addEthereumChain',
      params({ chainId: '0xa', chainName: 'Optimism', rpcUrls: ['https://my-node.example'] }),
    )
    expect(h.seen[0]!.warnings).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(/^Chain 10 is OP Mainnet: the site supplies the RPC node/),
      },
    ])
  })

  it('-32602 for invalid params (MetaMask rules)', async () => {
    const h = harness({})
    const bad: unknown[] = [
      [],
      [{}],
      params({ chainId: 123456 }),
      params({ chainId: '0x01e240' }),
      params({ chainId: '0x0' }),
      params({ chainName: '' }),
      params({ chainName: '\u202e\u0007' }),
      params({ chainName: undefined }),
      params({ rpcUrls: [] }),
      params({ rpcUrls: ['http://rpc.example'] }),
      params({ rpcUrls: ['ws://rpc.example'] }),
      params({ rpcUrls: ['http://evil.localhost:8545'] }),
      params({ rpcUrls: ['file:///etc/passwd'] }),
      params({ rpcUrls: ['ftp://x.example'] }),
      params({ rpcUrls: ['not a url'] }),
      params({ rpcUrls: Array.from({ length: 5 }, (_, i) => `https://r${i}.example`) }),
      params({ nativeCurrency: { name: 'X', symbol: 'X', decimals: 18 } }),
      params({ nativeCurrency: { name: 'X', symbol: 'TOOLONG', decimals: 18 } }),
      params({ nativeCurrency: { name: 'X', symbol: 'XX', decimals: 6 } }),
      params({ nativeCurrency: { name: 'X', symbol: 'XX', decimals: 18, extra: 1 } }),
      params({ blockExplorerUrls: ['http://scan.example'] }),
      params({ unknownKey: true }),
    ]
    for (const p of bad) {
      expect((await h.call('wallet_addEthereumChain', p)).error?.code, JSON.stringify(p)).toBe(-32602)
    }
    expect(h.probed).toEqual([])
    expect(h.seen).toEqual([])
  })

  it(`at most ${MAX_ADDED_CHAINS} added chains`, async () => {
    const h = harness({ 'https://rpc.test.example/v1/SECRETKEY': 123456 })
    for (let i = 0; i < MAX_ADDED_CHAINS; i++) {
      h.services.addedChains.add(
        {
          chainId: 1000 + i,
          name: 'x',
          rpcUrls: ['https://x.example'],
          nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 },
          blockExplorerUrls: [],
        },
        ORIGIN,
      )
    }
    expect((await h.call('wallet_addEthereumChain', params())).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/already has 64 added chains/),
    })
  })

  it('isAllowedRpcUrl: https/wss anywhere, http/ws on loopback only', () => {
    for (const ok of [
      'https://a.example',
      'wss://a.example/ws',
      'http://localhost:8545',
      'http://127.0.0.1:8545',
      'ws://[::1]:8545',
    ])
      expect(isAllowedRpcUrl(ok), ok).toBe(true)
    for (const no of [
      'http://a.example',
      'http://127.0.0.2',
      'http://x.localhost',
      'file:///x',
      'javascript:alert(1)',
      '',
    ])
      expect(isAllowedRpcUrl(no), no).toBe(false)
  })
})
