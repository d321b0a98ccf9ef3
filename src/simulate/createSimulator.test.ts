import {
  type Address,
  encodeAbiParameters,
  getAddress,
  getContractAddress,
  type Hex,
  maxUint256,
  pad,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { UpstreamRpcError } from '../errors/rpc.js'
import { createTokenInfoCache } from '../upstream/createTokenInfoCache.js'
import type { Upstream } from '../upstream/types.js'
import { createSimulator } from './createSimulator.js'
import { NATIVE_TRANSFER_ADDRESS, readAssetLog, TOPICS } from './readAssetLog.js'
import { withFee } from './summarizeOutcome.js'

const ME: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const FRIEND: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const TOKEN: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const NFT: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const ROUTER: Address = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'

const topic = (a: Address) => pad(a.toLowerCase() as Hex).toLowerCase() as Hex
const word = (n: bigint) => encodeAbiParameters([{ type: 'uint256' }], [n])
const erc20Transfer = (from: Address, to: Address, amount: bigint, token = TOKEN) => ({
  address: token,
  topics: [TOPICS.transfer, topic(from), topic(to)],
  data: word(amount),
})
const nativeTransfer = (from: Address, to: Address, value: bigint) => ({
  address: NATIVE_TRANSFER_ADDRESS,
  topics: [TOPICS.transfer, topic(from), topic(to)],
  data: word(value),
})
const approvalLog = (owner: Address, spender: Address, amount: bigint) => ({
  address: TOKEN,
  topics: [TOPICS.approval, topic(owner), topic(spender)],
  data: word(amount),
})
const stringAnswer = (s: string) => encodeAbiParameters([{ type: 'string' }], [s])

// biome-ignore lint/suspicious/noExplicitAny: handlers read the params as the test shapes them
type Handler = (params: any, signal?: AbortSignal) => unknown
/** A node in memory: methods answer from handlers; anything else is -32601. Token TT (6 decimals) at TOKEN. */
function fakeNode(handlers: Record<string, Handler> = {}) {
  const asked: string[] = []
  const code = new Map<string, Hex>([
    [TOKEN.toLowerCase(), '0x6000'],
    [NFT.toLowerCase(), '0x6000'],
    [ROUTER.toLowerCase(), '0x6000'],
  ])
  const defaults: Record<string, Handler> = {
    eth_getCode: ([a]) => code.get(String(a).toLowerCase()) ?? '0x',
    eth_call: ([call]) => {
      if (String(call.to).toLowerCase() !== TOKEN.toLowerCase())
        throw new UpstreamRpcError(3, 'execution reverted')
      const selector = String(call.data).slice(0, 10)
      if (selector === '0x313ce567') return word(6n)
      if (selector === '0x95d89b41') return stringAnswer('TT')
      if (selector === '0x06fdde03') return stringAnswer('Test Token')
      return word(0n)
    },
  }
  const upstream = {
    chainId: 31337,
    url: 'fake://node',
    supportsSubscriptions: false,
    async request(method: string, params: unknown, options?: { signal?: AbortSignal }) {
      asked.push(method)
      const fn = handlers[method] ?? defaults[method]
      if (!fn) throw new UpstreamRpcError(-32601, `the method ${method} does not exist/is not available`)
      return fn(params, options?.signal)
    },
  } as unknown as Upstream
  return { upstream, asked, code }
}

const simulator = (over: Partial<Parameters<typeof createSimulator>[0]> = {}) =>
  createSimulator({ enabled: true, timeoutMs: 2_000, tokenInfo: createTokenInfoCache(), ...over })

const call = (to: Address | null, value = 0n, data: Hex = '0x') => ({ to, value, data })
const simulated = (calls: object[]) => [{ number: '0x1', calls }]

describe('createSimulator', () => {
  test('eth_simulateV1: native and ERC-20 changes of the sender, an unlimited approval, a new recipient', async () => {
    const { upstream, asked } = fakeNode({
      eth_simulateV1: ([request, block]) => {
        expect(block).toBe('latest')
        expect(request).toMatchObject({ traceTransfers: true, validation: false })
        expect(request.blockStateCalls[0].calls).toEqual([
          { from: ME, to: ROUTER, value: '0xde0b6b3a7640000', input: '0x1234', gas: '0x30d40', nonce: '0x7' },
        ])
        return simulated([
          {
            status: '0x1',
            gasUsed: '0xc350',
            returnData: '0x',
            logs: [
              nativeTransfer(ME, ROUTER, 10n ** 18n),
              erc20Transfer(ME, FRIEND, 5_000_000n),
              erc20Transfer(ROUTER, ME, 1_000_000n),
              approvalLog(ME, ROUTER, maxUint256),
              // Another owner's approval is not the sender's grant.
              approvalLog(FRIEND, ROUTER, 1n),
            ],
          },
        ])
      },
    })
    const facts = await simulator().simulate({
      upstream,
      from: ME,
      calls: [{ to: ROUTER, value: 10n ** 18n, data: '0x1234', gas: 200_000n }],
      nonce: 7,
    })
    expect(facts).toMatchObject({
      status: 'success',
      by: 'eth_simulateV1',
      changesKnown: true,
      nativeChange: -(10n ** 18n),
      fee: null,
      gasUsed: 50_000n,
      calls: [{ status: 'success', gasUsed: 50_000n }],
      tokenChanges: [
        { token: TOKEN, standard: 'erc20', tokenId: null, change: -4_000_000n, symbol: 'TT', decimals: 6 },
      ],
      approvals: [
        {
          standard: 'erc20',
          token: TOKEN,
          spender: ROUTER,
          amount: maxUint256,
          unlimited: true,
          forAll: false,
          symbol: 'TT',
          decimals: 6,
        },
      ],
      contractsCreated: [],
      revert: null,
      // The router has code; the friend has none and was never sent to.
      newRecipients: [FRIEND],
    })
    expect(asked).not.toContain('debug_traceCall')
    // With the fee: gas used × the effective price, taken from the native change.
    expect(withFee(facts, 2_000_000_000n)).toMatchObject({
      fee: 100_000_000_000_000n,
      nativeChange: -(10n ** 18n) - 100_000_000_000_000n,
    })
  })

  test('a recipient walletd sent to is no longer new; remembered per chain and account', async () => {
    const handlers = {
      eth_simulateV1: () =>
        simulated([
          { status: '0x1', gasUsed: '0x5208', returnData: '0x', logs: [nativeTransfer(ME, FRIEND, 1n)] },
        ]),
    }
    const sim = simulator()
    const run = () =>
      sim.simulate({ upstream: fakeNode(handlers).upstream, from: ME, calls: [call(FRIEND, 1n)] })
    expect((await run()).newRecipients).toEqual([FRIEND])
    sim.remember(1, ME, [FRIEND])
    expect((await run()).newRecipients).toEqual([FRIEND])
    sim.remember(31337, ME, [FRIEND])
    expect((await run()).newRecipients).toEqual([])
  })

  test('a reverting call: status reverted, the revert data, no changes', async () => {
    const data = '0x08c379a0deadbeef' as Hex
    const { upstream } = fakeNode({
      eth_simulateV1: () =>
        simulated([
          {
            status: '0x0',
            gasUsed: '0x7707',
            returnData: data,
            logs: [],
            error: { code: -32000, message: 'execution reverted' },
          },
        ]),
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(ROUTER)] })
    expect(facts).toMatchObject({
      status: 'reverted',
      revert: { callIndex: 0, data },
      nativeChange: 0n,
      tokenChanges: [],
      gasUsed: 0x7707n,
    })
  })

  test('no eth_simulateV1: debug_traceCall, with nested transfers, creations and a failed subtree', async () => {
    const spawned = '0x33fba4280b13734b2150fb666f79a05cee1b1834'
    const { upstream, asked } = fakeNode({
      debug_traceCall: ([tx, block, options]) => {
        expect(tx).toMatchObject({ from: ME, to: ROUTER, input: '0xabcd' })
        expect(block).toBe('latest')
        expect(options).toEqual({ tracer: 'callTracer', tracerConfig: { withLog: true } })
        return {
          type: 'CALL',
          from: ME.toLowerCase(),
          to: ROUTER.toLowerCase(),
          value: '0x0',
          gasUsed: '0xfb27',
          calls: [
            {
              type: 'CALL',
              from: ROUTER,
              to: TOKEN,
              value: '0x0',
              logs: [erc20Transfer(ME, ROUTER, 1_000_000n)],
            },
            { type: 'CALL', from: ROUTER, to: ME, value: '0x2386f26fc10000' },
            { type: 'CREATE', from: ROUTER, to: spawned, value: '0x0' },
            {
              type: 'CALL',
              from: ROUTER,
              to: TOKEN,
              error: 'execution reverted',
              // Inside a failed frame: never happened.
              logs: [erc20Transfer(ME, FRIEND, 9n)],
              calls: [{ type: 'CALL', from: ROUTER, to: FRIEND, value: '0x5' }],
            },
          ],
        }
      },
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(ROUTER, 0n, '0xabcd')] })
    expect(asked.slice(0, 2)).toEqual(['eth_simulateV1', 'debug_traceCall'])
    expect(facts).toMatchObject({
      status: 'success',
      by: 'debug_traceCall',
      nativeChange: 10n ** 16n,
      gasUsed: 0xfb27n,
      tokenChanges: [{ token: TOKEN, change: -1_000_000n, symbol: 'TT' }],
      contractsCreated: [getAddress(spawned)],
      newRecipients: [],
    })
    expect(facts.notes[0]).toMatch(
      /^eth_simulateV1: the node answered -32601: the method eth_simulateV1 does not exist\/is not available, so debug_traceCall was used$/,
    )
  })

  test('neither: eth_call and the estimate; changes unknown, said so', async () => {
    const { upstream } = fakeNode({
      eth_call: () => '0x',
      eth_estimateGas: () => '0x5208',
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(FRIEND, 5n)] })
    expect(facts).toMatchObject({
      status: 'success',
      by: 'eth_call',
      changesKnown: false,
      nativeChange: null,
      gasUsed: 21_000n,
      tokenChanges: [],
    })
    expect(facts.notes).toEqual([
      expect.stringMatching(/^eth_simulateV1: .* so eth_call was used$/),
      expect.stringMatching(/^debug_traceCall: .* so eth_call was used$/),
      expect.stringMatching(/^eth_call shows only whether it succeeds/),
    ])
    // eth_call reverting: the revert data from the error.
    const reverts = fakeNode({
      eth_call: () => {
        throw new UpstreamRpcError(3, 'execution reverted: no', '0x08c379a0')
      },
      eth_estimateGas: () => {
        throw new UpstreamRpcError(3, 'execution reverted: no', '0x08c379a0')
      },
    })
    expect(
      await simulator().simulate({ upstream: reverts.upstream, from: ME, calls: [call(FRIEND)] }),
    ).toMatchObject({
      status: 'reverted',
      by: 'eth_call',
      revert: { callIndex: 0, data: '0x08c379a0' },
    })
  })

  test('nothing answers: not simulated, every attempt named', async () => {
    const { upstream } = fakeNode({
      eth_call: () => {
        throw new UpstreamRpcError(-32000, 'header not found')
      },
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(FRIEND, 1n)] })
    expect(facts).toMatchObject({ status: 'not-simulated', by: null, nativeChange: null, calls: [] })
    expect(facts.notes).toEqual([
      expect.stringMatching(/^eth_simulateV1: the node answered -32601/),
      expect.stringMatching(/^debug_traceCall: the node answered -32601/),
      'eth_call: the node answered -32000: header not found',
    ])
  })

  test('bounded: a node that never answers gives "not simulated" after timeoutMs; the reads are aborted', async () => {
    let aborted = false
    const { upstream } = fakeNode({
      eth_simulateV1: (_params, signal) =>
        new Promise((_, reject) =>
          signal?.addEventListener('abort', () => {
            aborted = true
            reject(new Error('aborted'))
          }),
        ),
    })
    const facts = await simulator({ timeoutMs: 30 }).simulate({
      upstream,
      from: ME,
      calls: [call(FRIEND, 1n)],
    })
    expect(facts.status).toBe('not-simulated')
    expect(facts.notes).toEqual(['eth_simulateV1: no answer within 30 ms (simulation.timeoutMs)'])
    expect(aborted).toBe(true)
  })

  test('a contract creation (eth_simulateV1): its address from the sender and nonce', async () => {
    const { upstream } = fakeNode({
      eth_simulateV1: () => simulated([{ status: '0x1', gasUsed: '0x186a0', returnData: '0x', logs: [] }]),
      eth_getTransactionCount: () => '0x4',
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(null, 0n, '0x6000')] })
    expect(facts.contractsCreated).toEqual([getContractAddress({ from: ME, nonce: 4n })])
  })

  test('turned off: not simulated, and the prompt is told why', async () => {
    const { upstream, asked } = fakeNode()
    const facts = await simulator({ enabled: false }).simulate({
      upstream,
      from: ME,
      calls: [call(FRIEND, 1n)],
    })
    expect(facts).toMatchObject({
      status: 'not-simulated',
      notes: ['simulation is turned off (simulation.enabled is false)'],
    })
    expect(asked).toEqual([])
  })

  test('malformed answers fall through to the next method', async () => {
    const { upstream } = fakeNode({
      eth_simulateV1: () => [{ calls: 'nope' }],
      debug_traceCall: () => 42,
      eth_call: () => '0x',
      eth_estimateGas: () => '0x5208',
    })
    const facts = await simulator().simulate({ upstream, from: ME, calls: [call(FRIEND, 1n)] })
    expect(facts.by).toBe('eth_call')
    expect(facts.notes.slice(0, 2)).toEqual([
      expect.stringMatching(/^eth_simulateV1: malformed answer/),
      expect.stringMatching(/^debug_traceCall: malformed answer/),
    ])
  })
})

describe('readAssetLog', () => {
  test('ERC-721 Transfer and Approval have 4 topics; ERC-1155 single and batch; ApprovalForAll; Permit2', () => {
    const id = pad('0x2a')
    expect(
      readAssetLog({ address: NFT, topics: [TOPICS.transfer, topic(ME), topic(FRIEND), id], data: '0x' }),
    ).toEqual({
      kind: 'movements',
      movements: [{ token: NFT, standard: 'erc721', tokenId: 42n, from: ME, to: FRIEND, amount: 1n }],
    })
    expect(
      readAssetLog({ address: NFT, topics: [TOPICS.approval, topic(ME), topic(FRIEND), id], data: '0x' }),
    ).toMatchObject({
      kind: 'approval',
      approval: { standard: 'erc721', tokenId: 42n, grants: true },
    })
    expect(
      readAssetLog({
        address: NFT,
        topics: [TOPICS.transferSingle, topic(ROUTER), topic(ME), topic(FRIEND)],
        data: encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [5n, 3n]),
      }),
    ).toMatchObject({ movements: [{ standard: 'erc1155', tokenId: 5n, amount: 3n, from: ME, to: FRIEND }] })
    expect(
      readAssetLog({
        address: NFT,
        topics: [TOPICS.transferBatch, topic(ROUTER), topic(ME), topic(FRIEND)],
        data: encodeAbiParameters(
          [{ type: 'uint256[]' }, { type: 'uint256[]' }],
          [
            [1n, 2n],
            [10n, 20n],
          ],
        ),
      }),
    ).toMatchObject({
      movements: [
        { tokenId: 1n, amount: 10n },
        { tokenId: 2n, amount: 20n },
      ],
    })
    expect(
      readAssetLog({
        address: NFT,
        topics: [TOPICS.approvalForAll, topic(ME), topic(ROUTER)],
        data: word(1n),
      }),
    ).toMatchObject({ approval: { forAll: true, grants: true, spender: ROUTER } })
    expect(
      readAssetLog({
        address: NFT,
        topics: [TOPICS.approvalForAll, topic(ME), topic(ROUTER)],
        data: word(0n),
      }),
    ).toMatchObject({ approval: { grants: false } })
    expect(
      readAssetLog({
        address: '0x000000000022D473030F116dDEE9F6B43aC78BA3',
        topics: [TOPICS.permit2Approval, topic(ME), topic(TOKEN), topic(ROUTER)],
        data: encodeAbiParameters(
          [{ type: 'uint160' }, { type: 'uint48' }],
          [2n ** 160n - 1n, 1_900_000_000],
        ),
      }),
    ).toMatchObject({
      approval: { standard: 'permit2', token: TOKEN, spender: ROUTER, expiration: 1_900_000_000n },
    })
  })

  test('look-alikes and malformed logs are ignored', () => {
    // Wrong topic count, data not one word, an address topic with high bits set, a batch with mismatched arrays.
    expect(readAssetLog({ address: TOKEN, topics: [TOPICS.transfer, topic(ME)], data: word(1n) })).toBeNull()
    expect(
      readAssetLog({ address: TOKEN, topics: [TOPICS.transfer, topic(ME), topic(FRIEND)], data: '0x01' }),
    ).toBeNull()
    expect(
      readAssetLog({
        address: TOKEN,
        topics: [TOPICS.transfer, `0x${'f'.repeat(64)}`, topic(FRIEND)],
        data: word(1n),
      }),
    ).toBeNull()
    expect(
      readAssetLog({
        address: NFT,
        topics: [TOPICS.transferBatch, topic(ROUTER), topic(ME), topic(FRIEND)],
        data: encodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }], [[1n, 2n], [10n]]),
      }),
    ).toBeNull()
    expect(readAssetLog({ address: TOKEN, topics: [], data: '0x' })).toBeNull()
  })
})
