import { describe, expect, test } from 'vitest'
import { InvalidParamsError } from '../errors/rpc.js'
import { checkLogRange } from './checkLogRange.js'

describe('checkLogRange', () => {
  const run = async (filter: Parameters<typeof checkLogRange>[0], head = 1000n) => {
    let asked = 0
    try {
      await checkLogRange(filter, {
        method: 'eth_getLogs',
        maxBlocks: 100,
        head: async () => {
          asked++
          return head
        },
      })
      return { ok: true, asked }
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidParamsError)
      return { ok: false, asked, message: (err as Error).message }
    }
  }

  test('numeric bounds: exactly maxBlocks passes, one more is refused, without asking the head', async () => {
    expect(await run({ fromBlock: '0x0', toBlock: '0x63' })).toEqual({ ok: true, asked: 0 })
    const refused = await run({ fromBlock: '0x0', toBlock: '0x64' })
    expect(refused).toMatchObject({ ok: false, asked: 0 })
    expect(refused.message).toContain('eth_getLogs: params.0: the block range 0x0…0x64 spans 101 blocks')
  })

  test('tags: earliest is 0, latest and missing bounds are the head (asked once)', async () => {
    expect(await run({ fromBlock: 'earliest', toBlock: 'latest' })).toMatchObject({ ok: false, asked: 1 })
    expect(await run({ fromBlock: '0x0' })).toMatchObject({ ok: false, asked: 1 })
    expect(await run({ fromBlock: '0x3e7' })).toEqual({ ok: true, asked: 1 })
    expect(await run({ fromBlock: 'earliest' }, 50n)).toEqual({ ok: true, asked: 1 })
    expect(await run({ toBlock: '0x3e8' })).toEqual({ ok: true, asked: 1 })
  })

  test('head-to-head tags, a block hash and a reversed range need no check', async () => {
    expect(await run({})).toEqual({ ok: true, asked: 0 })
    expect(await run({ fromBlock: 'safe', toBlock: 'latest' })).toEqual({ ok: true, asked: 0 })
    expect(await run({ fromBlock: 'latest', toBlock: 'earliest' })).toEqual({ ok: true, asked: 0 })
    expect(await run({ blockHash: `0x${'00'.repeat(32)}` })).toEqual({ ok: true, asked: 0 })
    expect(await run({ fromBlock: '0x500', toBlock: '0x1' })).toEqual({ ok: true, asked: 0 })
  })
})
