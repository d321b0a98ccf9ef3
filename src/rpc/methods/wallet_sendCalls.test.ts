import { toHex } from 'viem'
import { keccak256 } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import {
  accounts,
  CHAIN_ID,
  createSigningHarness,
  recordingApprover,
} from '../../../test/helpers/signingFakes.js'
import { UpstreamRpcError } from '../../errors/rpc.js'

const [a0, a1, a2] = accounts as [(typeof accounts)[0], (typeof accounts)[0], (typeof accounts)[0]]
const TO = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const OTHER_ORIGIN = 'https://other.example'
const ETH = 10n ** 18n

const batch = (over: Record<string, unknown> = {}) => ({
  version: '2.0.0',
  chainId: '0x7a69',
  from: a0.address,
  atomicRequired: false,
  calls: [
    { to: TO, value: toHex(ETH) },
    { to: a1.address, value: toHex(2n * ETH), data: '0xabcdef01' },
    { to: TO, value: toHex(3n * ETH) },
  ],
  ...over,
})

type Harness = ReturnType<typeof createSigningHarness>

/** The node refuses the n-th raw transaction (0-based); the others go through as usual. */
function failSend(h: Harness, n: number) {
  let count = 0
  const real = h.node.upstream.request.bind(h.node.upstream)
  const override = async ([raw]: [string]) => {
    if (count++ === n) throw new UpstreamRpcError(-32000, 'replacement transaction underpriced')
    h.node.off('eth_sendRawTransaction')
    try {
      return await real('eth_sendRawTransaction', [raw])
    } finally {
      h.node.on('eth_sendRawTransaction', override)
    }
  }
  h.node.on('eth_sendRawTransaction', override)
}

/** Polls wallet_getCallsStatus until the batch is no longer pending (100). */
async function settled(h: Harness, id: string) {
  for (let i = 0; i < 200; i++) {
    const { result, error } = await h.call('wallet_getCallsStatus', [id])
    if (error) throw Object.assign(new Error(error.message), error)
    if (result.status !== 100) return result
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('batch still pending')
}

describe('wallet_sendCalls', () => {
  it('one approval for the batch; sent one by one with consecutive nonces; status 200 with the receipts', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    h.node.nonces.set(a0.address.toLowerCase(), 4)
    h.node.code.set(TO.toLowerCase(), '0x6000')
    const { result, error } = await h.call('wallet_sendCalls', [batch({ id: 'app-id-1' })])
    expect(error).toBeUndefined()
    expect(result).toEqual({ id: 'app-id-1' })
    expect(seen).toHaveLength(1)
    expect(seen[0]!).toMatchObject({ kind: 'calls', method: 'wallet_sendCalls', answer: 'yes' })
    expect(seen[0]!.summary).toBe(`Batch of 3 calls sending 6 ETH; first: send 1 ETH to ${TO}`)
    expect(seen[0]!.facts).toMatchObject({
      kind: 'calls',
      chainId: CHAIN_ID,
      account: a0.address,
      value: 6n * ETH,
      calls: [
        { to: TO, value: ETH, data: '0x', selector: null },
        { to: a1.address, value: 2n * ETH, data: '0xabcdef01', selector: '0xabcdef01' },
        { to: TO, value: 3n * ETH, data: '0x', selector: null },
      ],
      simulation: { status: 'success', by: 'eth_simulateV1', calls: [{}, {}, {}] },
    })
    expect(seen[0]!.details).toMatchObject({
      sending: expect.stringMatching(/^one by one, in order, with consecutive nonces from 4/),
      simulation: { result: 'all 3 calls succeed' },
    })
    const status = await settled(h, 'app-id-1')
    expect(status).toMatchObject({
      version: '2.0.0',
      id: 'app-id-1',
      chainId: '0x7a69',
      status: 200,
      atomic: false,
    })
    expect(status.receipts).toHaveLength(3)
    expect(h.node.sent.map((s) => [s.tx.nonce, s.tx.value, s.tx.to])).toEqual([
      [4, ETH, TO.toLowerCase()],
      [5, 2n * ETH, a1.address.toLowerCase()],
      [6, 3n * ETH, TO.toLowerCase()],
    ])
    expect(status.receipts.map((r: { transactionHash: string }) => r.transactionHash)).toEqual(
      h.node.sent.map((s) => keccak256(s.raw)),
    )
    // The next eth_sendTransaction takes the nonce after the batch.
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO }])
    expect(h.node.sent.at(-1)!.tx.nonce).toBe(7)
  })

  it('a generated id when the app gives none; from defaults to the first granted account', async () => {
    const h = createSigningHarness()
    const { result } = await h.call('wallet_sendCalls', [
      batch({ from: undefined, calls: [{ to: TO, value: '0x1' }] }),
    ])
    expect(result.id).toMatch(/^0x[0-9a-f]{64}$/)
    expect((await settled(h, result.id)).status).toBe(200)
    expect(h.node.sent[0]!.from).toBe(a0.address.toLowerCase())
  })

  it('a call that cannot be sent stops the rest: 600 after one landed, 400 when none did', async () => {
    const h = createSigningHarness()
    failSend(h, 1)
    const { result } = await h.call('wallet_sendCalls', [batch({ id: 'stops' })])
    const status = await settled(h, result.id)
    expect(status).toMatchObject({ status: 600 })
    expect(status.receipts).toHaveLength(1)
    expect(h.node.sent).toHaveLength(1)

    const none = createSigningHarness()
    failSend(none, 0)
    const r2 = await none.call('wallet_sendCalls', [batch({ id: 'none' })])
    expect(await settled(none, r2.result.id)).toMatchObject({ status: 400, receipts: [] })
    expect(none.node.sent).toHaveLength(0)
  })

  it('a reverted receipt stops the rest: 600, the receipts up to it', async () => {
    const h = createSigningHarness()
    // The second call reverts on chain.
    h.node.on('eth_getTransactionReceipt', ([hash]: [string]) => {
      const i = h.node.sent.findIndex((s) => keccak256(s.raw) === hash)
      if (i === -1) return null
      return {
        status: i === 1 ? '0x0' : '0x1',
        blockHash: `0x${'b'.repeat(64)}`,
        blockNumber: '0x1',
        gasUsed: '0x5208',
        transactionHash: hash,
        logs: [],
      }
    })
    const { result } = await h.call('wallet_sendCalls', [batch({ id: 'reverts' })])
    const status = await settled(h, result.id)
    expect(status.status).toBe(600)
    expect(status.receipts.map((r: { status: string }) => r.status)).toEqual(['0x1', '0x0'])
    expect(h.node.sent).toHaveLength(2)
  })

  it('refused before asking, each with its code', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    h.services.chains.add({
      chainId: 5,
      name: 'Other',
      rpcUrls: ['https://rpc.example'],
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      blockExplorerUrls: [],
    })
    const code = async (params: object) => (await h.call('wallet_sendCalls', [params])).error
    expect(await code(batch({ version: '1.0' }))).toEqual({
      code: -32000,
      message: 'Version not supported: Got 1.0, expected 2.0.0',
    })
    expect((await code(batch({ atomicRequired: true })))?.code).toBe(5760)
    expect(
      (await code(batch({ capabilities: { paymasterService: { url: 'https://pay.example' } } })))?.code,
    ).toBe(5700)
    expect(
      (await code(batch({ calls: [{ to: TO, capabilities: { auxiliaryFunds: { supported: true } } }] })))
        ?.code,
    ).toBe(5700)
    expect((await code(batch({ chainId: '0x5' })))?.code).toBe(5710)
    expect((await code(batch({ chainId: '0x1' })))?.code).toBe(5710)
    expect((await code(batch({ calls: Array.from({ length: 11 }, () => ({ to: TO })) })))?.code).toBe(5740)
    expect((await code(batch({ calls: [{ value: '0x1' }] })))?.code).toBe(-32602)
    expect((await code(batch({ calls: [] })))?.code).toBe(-32602)
    expect((await code(batch({ calls: [{ to: TO, gas: '0x5208' }] })))?.code).toBe(-32602)
    expect((await code(batch({ from: a2.address })))?.code).toBe(4100)
    expect((await code(batch({ id: 'x'.repeat(4097) })))?.code).toBe(-32602)
    expect(seen).toHaveLength(0)
    // An optional capability is fine.
    expect(
      await code(batch({ id: 'dup', capabilities: { dataSuffix: { value: '0x1234', optional: true } } })),
    ).toBeUndefined()
    expect((await code(batch({ id: 'dup' })))?.code).toBe(5720)
    // Another origin may use the same id: ids are per origin.
    h.sessions.grantAccounts(OTHER_ORIGIN, [a0.address])
    expect((await h.call('wallet_sendCalls', [batch({ id: 'dup' })], OTHER_ORIGIN)).error).toBeUndefined()
  })

  it('4001 when rejected; nothing is sent and no batch is kept', async () => {
    const { approver } = recordingApprover(async () => ({ approved: false, reason: 'rejected' }))
    const h = createSigningHarness({ approver })
    const { error } = await h.call('wallet_sendCalls', [batch({ id: 'no' })])
    expect(error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    expect(h.node.sent).toHaveLength(0)
    expect((await h.call('wallet_getCallsStatus', ['no'])).error?.code).toBe(5730)
  })
})

describe('wallet_getCallsStatus / wallet_showCallsStatus', () => {
  it('a batch belongs to its origin: another origin gets 5730, like an unknown id', async () => {
    const h = createSigningHarness()
    h.sessions.grantAccounts(OTHER_ORIGIN, [a1.address])
    const { result } = await h.call('wallet_sendCalls', [batch({ id: 'mine' })])
    await settled(h, result.id)
    for (const method of ['wallet_getCallsStatus', 'wallet_showCallsStatus']) {
      expect((await h.call(method, ['mine'], OTHER_ORIGIN)).error).toEqual({
        code: 5730,
        message: 'This bundle id is unknown / has not been submitted.',
      })
      expect((await h.call(method, ['never-sent'])).error?.code).toBe(5730)
      expect((await h.call(method, [])).error?.code).toBe(-32602)
    }
    expect(await h.call('wallet_showCallsStatus', ['mine'])).toEqual({ result: null, error: undefined })
  })

  it('kept 24 h: then 5730, and the id may be used again', async () => {
    let t = 1_700_000_000_000
    const h = createSigningHarness({ now: () => t })
    const { result } = await h.call('wallet_sendCalls', [batch({ id: 'day' })])
    await settled(h, result.id)
    t += 86_400_001
    expect((await h.call('wallet_getCallsStatus', ['day'])).error?.code).toBe(5730)
    expect((await h.call('wallet_sendCalls', [batch({ id: 'day' })])).error).toBeUndefined()
  })
})

describe('wallet_getCapabilities', () => {
  it('per chain, atomic unsupported; filtered by the chains asked for; 4100 for an address not granted', async () => {
    const h = createSigningHarness()
    for (const chainId of [CHAIN_ID, 10]) {
      h.services.chains.add({
        chainId,
        name: `chain ${chainId}`,
        rpcUrls: ['https://rpc.example'],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      })
    }
    expect((await h.call('wallet_getCapabilities', [a0.address])).result).toEqual({
      '0x7a69': { atomic: { status: 'unsupported' } },
      '0xa': { atomic: { status: 'unsupported' } },
    })
    expect((await h.call('wallet_getCapabilities', [a0.address, ['0xa', '0x1']])).result).toEqual({
      '0xa': { atomic: { status: 'unsupported' } },
    })
    expect((await h.call('wallet_getCapabilities', [a2.address])).error?.code).toBe(4100)
    expect((await h.call('wallet_getCapabilities', [a0.address], OTHER_ORIGIN)).error?.code).toBe(4100)
    expect((await h.call('wallet_getCapabilities', [])).error?.code).toBe(-32602)
    // A mixed-case address with a wrong checksum is refused.
    const bad = `0x${a0.address.slice(2, 3).toLowerCase()}${a0.address.slice(3).replace(/[a-f]/, (c) => c.toUpperCase())}`
    if (bad !== a0.address) expect((await h.call('wallet_getCapabilities', [bad])).error?.code).toBe(-32602)
  })
})
