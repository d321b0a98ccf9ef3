import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { FORWARDED_METHODS } from '../../src/rpc/methods/passthrough.js'
import { type RecordingUpstream, startRecordingUpstream } from '../helpers/recordingUpstream.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * Every forwarded method has bounded params: malformed or oversized params are -32602 with a
 * message naming the param and never reach the node (a recording upstream proves it); well-formed
 * params reach it as sent. And the request that aborted Anvil 1.7.1 for good
 * (`eth_feeHistory` with a block count of 2^64) is refused, with a real Anvil still alive after it.
 */
const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const H = `0x${'ab'.repeat(32)}`
const bytes = (n: number) => `0x${'00'.repeat(n)}`

type Case = { good: unknown[][]; bad: Array<[params: unknown, path: string]> }

/** Per method: params that must pass unchanged, and params that must be refused (with the param named). */
const CASES: Record<(typeof FORWARDED_METHODS)[number], Case> = {
  eth_blockNumber: { good: [[]], bad: [[[1], 'params']] },
  eth_getBlockByHash: {
    good: [[H, false]],
    bad: [
      [['0x12', false], 'params.0'],
      [[H, 'yes'], 'params.1'],
    ],
  },
  eth_getBlockByNumber: {
    good: [
      ['latest', true],
      ['0x1b4', false],
    ],
    bad: [
      [['0x10000000000000000', false], 'params.0'],
      [['0x01', false], 'params.0'],
    ],
  },
  eth_getBlockTransactionCountByHash: { good: [[H]], bad: [[['latest'], 'params.0']] },
  eth_getBlockTransactionCountByNumber: { good: [['0x0']], bad: [[['-1'], 'params.0']] },
  eth_getBlockReceipts: {
    good: [['latest'], [{ blockHash: H }], [H]],
    bad: [[[{ blockHash: H, extra: 1 }], 'params.0']],
  },
  eth_call: {
    good: [
      [{ to: A, data: '0x1234' }, 'latest'],
      [{ from: A, to: A, value: '0x0', gas: '0x5208' }, { blockNumber: '0x1' }, { [A]: { balance: '0x1' } }],
      [{ to: A, input: bytes(1024) }, 'latest', {}, { number: '0x5', time: '0x10' }],
    ],
    bad: [
      [[{ to: A, data: '0x123' }], 'params.0.data'],
      [[{ to: A, data: bytes(512 * 1024 + 1) }], 'params.0.data'],
      [[{ to: A, value: `0x${'f'.repeat(65)}` }], 'params.0.value'],
      [[{ to: 'me' }], 'params.0.to'],
      [
        [
          { to: A },
          'latest',
          Object.fromEntries(
            Array.from({ length: 257 }, (_, i) => [`0x${i.toString(16).padStart(40, '0')}`, {}]),
          ),
        ],
        'params.2',
      ],
      [[{ to: A }, 'latest', {}, { number: '0x5', gasLimitt: '0x1' }], 'params.3'],
    ],
  },
  eth_estimateGas: {
    good: [[{ from: A, to: A }], [{ from: A, to: A }, 'latest']],
    bad: [[[{ to: A, gas: `0x${'1'.repeat(17)}` }], 'params.0.gas']],
  },
  eth_createAccessList: {
    good: [[{ to: A, data: '0x' }, 'latest']],
    bad: [[[{ to: A }, 'latest', {}], 'params']],
  },
  eth_feeHistory: {
    good: [
      ['0x5', 'latest', [25, 75]],
      [4, 'latest', []],
      ['0x400', 'latest'],
      ['0x1', '0x10', [50, 50]],
    ],
    bad: [
      [['0x10000000000000000', 'latest', []], 'params.0'],
      [['0x401', 'latest', []], 'params.0'],
      [[1025, 'latest', []], 'params.0'],
      [['0x5', 'latest', [75, 25]], 'params.2'],
      [['0x5', 'latest', [101]], 'params.2.0'],
      [['0x5', 'latest', Array.from({ length: 101 }, () => 50)], 'params.2'],
      [['0x5', '0x10000000000000000', []], 'params.1'],
    ],
  },
  eth_gasPrice: { good: [[]], bad: [[['x'], 'params']] },
  eth_maxPriorityFeePerGas: { good: [[]], bad: [[['x'], 'params']] },
  eth_blobBaseFee: { good: [[]], bad: [[['x'], 'params']] },
  eth_getBalance: {
    good: [[A, 'latest'], [A], [A, { blockHash: H, requireCanonical: true }]],
    bad: [
      [[A, '0x10000000000000000'], 'params.1'],
      [['0x1234', 'latest'], 'params.0'],
    ],
  },
  eth_getCode: { good: [[A, 'pending']], bad: [[[A, { blockHash: '0x12' }], 'params.1']] },
  eth_getProof: {
    good: [[A, [H], 'latest']],
    bad: [[[A, Array.from({ length: 1025 }, () => H), 'latest'], 'params.1']],
  },
  eth_getStorageAt: {
    good: [[A, '0x0', 'latest']],
    bad: [[[A, `0x${'1'.repeat(65)}`, 'latest'], 'params.1']],
  },
  eth_getTransactionCount: { good: [[A, 'latest']], bad: [[[A, 'latest', 'extra'], 'params']] },
  eth_getTransactionByBlockHashAndIndex: {
    good: [[H, '0x0']],
    bad: [[[H, '0x10000000000000000'], 'params.1']],
  },
  eth_getTransactionByBlockNumberAndIndex: { good: [['latest', '0x1']], bad: [[['latest', 1], 'params.1']] },
  eth_getTransactionByHash: { good: [[H]], bad: [[[`${H}00`], 'params.0']] },
  eth_getTransactionReceipt: { good: [[H]], bad: [[[null], 'params.0']] },
  eth_sendRawTransaction: {
    good: [['0x02f8']],
    bad: [
      [['0x'], 'params.0'],
      [['0x123'], 'params.0'],
    ],
  },
  eth_getLogs: {
    good: [[{ fromBlock: '0x1', toBlock: '0x10', address: A }], [{ blockHash: H }]],
    bad: [
      [[{ topics: [Array.from({ length: 101 }, () => H)] }], 'params.0.topics.0'],
      [[{ fromBlock: '0x1', blockHash: H }], 'params.0'],
      [[{ fromBlock: '0x0', toBlock: '0x10000000000000000' }], 'params.0.toBlock'],
    ],
  },
  eth_getUncleByBlockHashAndIndex: { good: [[H, '0x0']], bad: [[[H, '00'], 'params.1']] },
  eth_getUncleByBlockNumberAndIndex: { good: [['0x1', '0x0']], bad: [[['0x1'], 'params']] },
  eth_getUncleCountByBlockHash: { good: [[H]], bad: [[['0x'], 'params.0']] },
  eth_getUncleCountByBlockNumber: { good: [['earliest']], bad: [[['genesis'], 'params.0']] },
  eth_syncing: { good: [[]], bad: [[[1], 'params']] },
  eth_protocolVersion: { good: [[]], bad: [[[1], 'params']] },
  net_listening: { good: [[]], bad: [[[1], 'params']] },
  net_peerCount: { good: [[]], bad: [[[1], 'params']] },
  web3_clientVersion: { good: [[]], bad: [[[1], 'params']] },
  web3_sha3: { good: [['0x68656c6c6f']], bad: [[['hello'], 'params.0']] },
}

describe('bounded params of forwarded methods (recording upstream)', () => {
  let d: TestDaemon
  let node: RecordingUpstream

  beforeAll(async () => {
    node = await startRecordingUpstream()
    d = await startTestDaemon({
      upstreamUrl: node.url,
      // Room for the oversized-data cases to reach the params check.
      config: { server: { maxPayloadBytes: 4 * 1024 * 1024 }, forwarding: { maxLogBlockRange: 100 } },
    })
  })
  afterAll(async () => {
    await d?.close()
    await node?.close()
  })

  const call = async (method: string, params: unknown) => {
    const before = node.calls.length
    const res = await d.post({ jsonrpc: '2.0', id: 1, method, params })
    expect(res.status).toBe(200)
    return { body: res.body, reached: node.calls.slice(before) }
  }

  test('every forwarded method has cases (the table is complete)', () => {
    expect(Object.keys(CASES).sort()).toEqual([...FORWARDED_METHODS].sort())
    for (const c of Object.values(CASES)) {
      expect(c.good.length).toBeGreaterThan(0)
      expect(c.bad.length).toBeGreaterThan(0)
    }
  })

  const bad = Object.entries(CASES).flatMap(([method, c]) =>
    c.bad.map(([params, path], i) => [`${method} #${i + 1} (${path})`, method, params, path] as const),
  )
  test.each(bad)('%s: -32602 naming the param, nothing sent', async (_name, method, params, path) => {
    const { body, reached } = await call(method, params)
    expect(body.error?.code, JSON.stringify(body)).toBe(-32602)
    expect(body.error.message).toContain(`Invalid parameters for ${method}: ${path}`)
    expect(reached).toEqual([])
  })

  const good = Object.entries(CASES).flatMap(([method, c]) =>
    c.good.map((params, i) => [`${method} #${i + 1}`, method, params] as const),
  )
  test.each(good)('%s: forwarded as sent', async (_name, method, params) => {
    const { body, reached } = await call(method, params)
    expect(body.error, JSON.stringify(body.error)).toBeUndefined()
    expect(reached.filter((r) => r.method !== 'eth_blockNumber' || method === 'eth_blockNumber')).toEqual([
      { method, params },
    ])
  })

  test('eth_getLogs and eth_newFilter: a range wider than forwarding.maxLogBlockRange is refused', async () => {
    node.head = 0x1000n
    for (const method of ['eth_getLogs', 'eth_newFilter']) {
      for (const filter of [
        { fromBlock: '0x0', toBlock: '0x64' }, // 101 blocks
        { fromBlock: 'earliest', toBlock: 'latest' },
        { fromBlock: '0x0' }, // toBlock defaults to latest (the head, 0x1000)
      ]) {
        const { body, reached } = await call(method, [filter])
        expect(body.error?.code, `${method} ${JSON.stringify(filter)}`).toBe(-32602)
        expect(body.error.message).toContain(`Invalid parameters for ${method}: params.0: the block range`)
        expect(body.error.data).toEqual({ maxLogBlockRange: 100 })
        expect(reached.map((r) => r.method).filter((m) => m !== 'eth_blockNumber')).toEqual([])
      }
      // 100 blocks, and a range ending at the head, pass.
      const ok = await call(method, [{ fromBlock: '0x0', toBlock: '0x63' }])
      expect(ok.body.error).toBeUndefined()
      const recent = await call(method, [{ fromBlock: '0xfa0' }])
      expect(recent.body.error).toBeUndefined()
      expect(recent.reached.map((r) => r.method)).toEqual(['eth_blockNumber', method])
    }
  })
})

describe('the request that killed the dev chain (real Anvil)', () => {
  let anvil: AnvilInstance
  let d: TestDaemon

  beforeAll(async () => {
    // A private Anvil: if the params were forwarded, it would abort, and no other test would care.
    anvil = await startAnvil({ port: 0 })
    d = await startTestDaemon({ upstreamUrl: anvil.wsUrl })
  })
  afterAll(async () => {
    await d?.close()
    await anvil?.stop()
  })

  test('eth_feeHistory with a block count of 2^64 is -32602 and Anvil keeps answering', async () => {
    const res = await d.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_feeHistory',
      params: ['0x10000000000000000', 'latest', []],
    })
    expect(res.body.error).toMatchObject({ code: -32602 })
    expect(res.body.error.message).toContain('params.0: block count must be an integer 0–1024')
    const fine = await d.post({
      jsonrpc: '2.0',
      id: 2,
      method: 'eth_feeHistory',
      params: ['0x1', 'latest', [50]],
    })
    expect(fine.body.result.oldestBlock).toMatch(/^0x/)
    expect(anvil.process.exitCode).toBeNull()
    expect(anvil.process.signalCode).toBeNull()
  })
})
