import { encodeAbiParameters, type Hex, stringToHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { ChainDisconnectedError, UpstreamRpcError } from '../errors/rpc.js'
import { cleanTokenText, createTokenInfoCache } from './createTokenInfoCache.js'
import type { Upstream } from './types.js'

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const word = (n: bigint) => encodeAbiParameters([{ type: 'uint256' }], [n])
const str = (s: string) => encodeAbiParameters([{ type: 'string' }], [s])

/** A node answering eth_call per selector (first 10 characters of data, or the whole supportsInterface call). */
function fakeNode(answers: Record<string, Hex | Error>, code: Hex | Error = '0x6000', chainId = 31337) {
  const calls: string[] = []
  const upstream = {
    chainId,
    async request(method: string, params: [{ data: string }]) {
      calls.push(method)
      if (method === 'eth_getCode') {
        if (code instanceof Error) throw code
        return code
      }
      const data: string = params[0].data
      const answer = answers[data.length > 10 ? `${data.slice(0, 10)}:${data.slice(10, 18)}` : data]
      if (answer === undefined) throw new UpstreamRpcError(3, 'execution reverted', '0x')
      if (answer instanceof Error) throw answer
      return answer
    },
  } as unknown as Upstream
  return { upstream, calls }
}

const erc20 = {
  '0x313ce567': word(18n),
  '0x95d89b41': str('TT'),
  '0x06fdde03': str('Test Token'),
}

describe('createTokenInfoCache', () => {
  it('reads decimals, symbol, name and ERC-165 answers', async () => {
    const cache = createTokenInfoCache()
    const { upstream } = fakeNode({
      ...erc20,
      '0x01ffc9a7:80ac58cd': word(0n),
      '0x01ffc9a7:d9b67a26': word(1n),
    })
    expect(await cache.get(upstream, TOKEN)).toEqual({
      chainId: 31337,
      address: TOKEN,
      hasCode: true,
      decimals: 18,
      symbol: 'TT',
      name: 'Test Token',
      erc721: false,
      erc1155: true,
      complete: true,
    })
  })

  it('bytes32 symbols (MKR), absurd decimals, hostile text', async () => {
    const cache = createTokenInfoCache()
    const { upstream } = fakeNode({
      '0x313ce567': word(1000n),
      '0x95d89b41': stringToHex('MKR', { size: 32 }),
      '0x06fdde03': str(`Evil\u202eNAME\u0007\n${'x'.repeat(100)}`),
    })
    const info = await cache.get(upstream, TOKEN)
    expect(info.decimals).toBeNull()
    expect(info.symbol).toBe('MKR')
    expect(info.name).toBe(`EvilNAME ${'x'.repeat(54)}…`)
    expect(info.erc721).toBe(false)
  })

  it('no code: nothing else is asked; reverts are answers (null), cached', async () => {
    const cache = createTokenInfoCache()
    const eoa = fakeNode({}, '0x')
    expect(await cache.get(eoa.upstream, TOKEN)).toMatchObject({
      hasCode: false,
      decimals: null,
      symbol: null,
    })
    expect(eoa.calls).toEqual(['eth_getCode'])
    const reverting = fakeNode({})
    const other = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    expect(await cache.get(reverting.upstream, other)).toMatchObject({
      hasCode: true,
      decimals: null,
      symbol: null,
    })
    await cache.get(reverting.upstream, other)
    expect(reverting.calls.filter((c) => c === 'eth_getCode')).toHaveLength(1)
  })

  it('an unreachable node: tolerated, not cached', async () => {
    const cache = createTokenInfoCache()
    const down = fakeNode({}, new ChainDisconnectedError())
    expect(await cache.get(down.upstream, TOKEN)).toMatchObject({
      hasCode: false,
      decimals: null,
      complete: false,
    })
    expect(cache.size).toBe(0)
    const flaky = fakeNode({ ...erc20, '0x95d89b41': new ChainDisconnectedError() })
    expect(await cache.get(flaky.upstream, TOKEN)).toMatchObject({
      decimals: 18,
      symbol: null,
      complete: false,
    })
    expect(cache.size).toBe(0)
  })

  it('per chain and address (any case), bounded, expiring, one read in flight', async () => {
    let t = 0
    const cache = createTokenInfoCache({ maxEntries: 2, ttlMs: 1000, now: () => t })
    const a = fakeNode(erc20)
    const [x, y] = await Promise.all([
      cache.get(a.upstream, TOKEN),
      cache.get(a.upstream, TOKEN.toLowerCase() as never),
    ])
    expect(x).toBe(y)
    expect(a.calls.filter((c) => c === 'eth_getCode')).toHaveLength(1)
    const b = fakeNode({ ...erc20, '0x95d89b41': str('OTHER') }, '0x6000', 1)
    expect((await cache.get(b.upstream, TOKEN)).symbol).toBe('OTHER')
    expect(cache.size).toBe(2)
    await cache.get(a.upstream, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    expect(cache.size).toBe(2) // the least recently used went
    t = 1001
    await cache.get(b.upstream, TOKEN)
    expect(b.calls.filter((c) => c === 'eth_getCode')).toHaveLength(2)
  })

  it('cleanTokenText', () => {
    expect(cleanTokenText('  a\u200bb\u202ec  ', 10)).toBe('abc')
    expect(cleanTokenText('\u0000\u0000', 10)).toBeNull()
    expect(cleanTokenText('🦊🦊🦊🦊', 3)).toBe('🦊🦊…')
  })
})
