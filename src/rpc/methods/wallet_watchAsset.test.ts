import { encodeAbiParameters } from 'viem'
import { describe, expect, it } from 'vitest'
import {
  CHAIN_ID,
  createSigningHarness,
  ORIGIN,
  recordingApprover,
} from '../../../test/helpers/signingFakes.js'
import { ChainDisconnectedError, UpstreamRpcError } from '../../errors/rpc.js'

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

/** A harness whose node has an ERC-20 at TOKEN answering decimals() and symbol(). */
function harness(
  token: { decimals?: number; symbol?: string; name?: string } | null = {
    decimals: 6,
    symbol: 'TT',
    name: 'Test Token',
  },
  decide?: Parameters<typeof recordingApprover>[0],
) {
  const { approver, seen } = recordingApprover(decide)
  const h = createSigningHarness({ approver })
  if (token) h.node.code.set(TOKEN.toLowerCase(), '0x6000')
  h.node.on('eth_call', ([call]: [{ data: string }]) => {
    const answer =
      call.data === '0x313ce567' && token?.decimals !== undefined
        ? encodeAbiParameters([{ type: 'uint8' }], [token.decimals])
        : call.data === '0x95d89b41' && token?.symbol !== undefined
          ? encodeAbiParameters([{ type: 'string' }], [token.symbol])
          : call.data === '0x06fdde03' && token?.name !== undefined
            ? encodeAbiParameters([{ type: 'string' }], [token.name])
            : undefined
    if (answer === undefined) throw new UpstreamRpcError(3, 'execution reverted', '0x')
    return answer
  })
  return { ...h, seen }
}

const watch = (options: Record<string, unknown>, type = 'ERC20') => ({
  type,
  options: { address: TOKEN, ...options },
})

describe('wallet_watchAsset', () => {
  it('ERC20 with matching symbol and decimals: asks, stores, returns true', async () => {
    const h = harness()
    const image = 'https://metamask.github.io/test-dapp/metamask-fox.svg'
    const { result, error } = await h.call('wallet_watchAsset', watch({ symbol: 'TT', decimals: 6, image }))
    expect(error).toBeUndefined()
    expect(result).toBe(true)
    expect(h.seen[0]!.summary).toBe(`Watch token TT at ${TOKEN}`)
    expect(h.seen[0]!.details).toMatchObject({
      token: TOKEN,
      symbol: 'TT',
      decimals: 6,
      name: 'Test Token',
      image: 'https://metamask.github.io/… (not fetched)',
    })
    expect(h.seen[0]!.warnings).toEqual([])
    expect(h.services.watchedAssets.list()).toEqual([
      {
        chainId: CHAIN_ID,
        address: TOKEN,
        symbol: 'TT',
        decimals: 6,
        name: 'Test Token',
        image,
        addedBy: ORIGIN,
        addedAt: 1_700_000_000_000,
      },
    ])
    // Nothing is fetched from the image URL: only the node was asked.
    expect(h.node.calls.every((c) => c.method.startsWith('eth_'))).toBe(true)
  })

  it('a mismatched symbol and decimals are flagged; the contract values are stored', async () => {
    const h = harness()
    await h.call('wallet_watchAsset', watch({ symbol: 'USDC', decimals: '18' }))
    expect(h.seen[0]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^DECIMALS MISMATCH: the site says 18 decimals, the contract says 6\. .*10\^12/),
      expect.stringMatching(/^Symbol mismatch: the site says "USDC", the contract says "TT"/),
    ])
    expect(h.services.watchedAssets.get(CHAIN_ID, TOKEN)).toMatchObject({ symbol: 'TT', decimals: 6 })
    await h.call('wallet_watchAsset', watch({ symbol: 'tt', decimals: 6 }))
    expect(h.seen[1]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/differ in case only/)])
    expect(h.seen[1]!.details.note).toMatch(/already watched/)
  })

  it('symbol and decimals may be left out: the contract says them', async () => {
    const h = harness()
    expect((await h.call('wallet_watchAsset', watch({}))).result).toBe(true)
    expect(h.services.watchedAssets.get(CHAIN_ID, TOKEN)).toMatchObject({ symbol: 'TT', decimals: 6 })
  })

  it('a contract without decimals(): the site value, flagged; not given either: -32602', async () => {
    const h = harness({ symbol: 'ODD' })
    await h.call('wallet_watchAsset', watch({ decimals: 8 }))
    expect(h.seen[0]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/does not answer decimals\(\)/),
    ])
    expect(h.seen[0]!.details.decimals).toBe('8 (given by the site; not readable from the contract)')
    expect((await h.call('wallet_watchAsset', watch({}))).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/decimals of 0x5FbDB.* could not be read/),
    })
  })

  it('no contract at the address: -32602 before any prompt; an unreachable node: asked with the site values, flagged', async () => {
    const h = harness(null)
    expect((await h.call('wallet_watchAsset', watch({ symbol: 'TT', decimals: 6 }))).error).toMatchObject({
      code: -32602,
      message: `Invalid parameters: there is no contract at ${TOKEN} on chain ${CHAIN_ID}.`,
    })
    expect(h.seen).toEqual([])
    const down = harness()
    down.node.on('eth_getCode', () => {
      throw new ChainDisconnectedError()
    })
    expect((await down.call('wallet_watchAsset', watch({ symbol: 'TT', decimals: 6 }))).result).toBe(true)
    expect(down.seen[0]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/could not reach the chain/),
    ])
  })

  it('rejected: 4001, nothing stored', async () => {
    const h = harness(undefined, async () => ({ approved: false, reason: 'rejected' }))
    expect((await h.call('wallet_watchAsset', watch({ symbol: 'TT', decimals: 6 }))).error?.code).toBe(4001)
    expect(h.services.watchedAssets.size).toBe(0)
  })

  it('-32602: ERC721/ERC1155 not supported, bad params', async () => {
    const h = harness()
    expect((await h.call('wallet_watchAsset', watch({ tokenId: '1' }, 'ERC721'))).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/ERC721 tokens is not supported/),
    })
    expect((await h.call('wallet_watchAsset', watch({ tokenId: '1' }, 'ERC1155'))).error?.code).toBe(-32602)
    for (const bad of [
      [watch({})], // an array: EIP-747 params are an object
      { type: 'ERC20' },
      watch({}, 'ERC777'),
      watch({ address: '0x1234' }),
      watch({ symbol: 'TOOLONGSYMBOL' }),
      watch({ decimals: 37 }),
      watch({ decimals: -1 }),
      watch({ decimals: 1.5 }),
      watch({ decimals: '0x6' }),
    ]) {
      expect((await h.call('wallet_watchAsset', bad)).error?.code, JSON.stringify(bad)).toBe(-32602)
    }
    expect(h.seen).toEqual([])
  })
})
