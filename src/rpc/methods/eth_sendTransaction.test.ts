import { encodeErrorResult, parseAbi, recoverTransactionAddress } from 'viem'
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
const REVERTS = parseAbi(['error Error(string)', 'error Panic(uint256)'])

describe('eth_sendTransaction', () => {
  it('fills nonce, gas, EIP-1559 fees and chain id, signs, broadcasts and returns the hash', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    h.node.nonces.set(a0.address.toLowerCase(), 7)
    const { result, error } = await h.call('eth_sendTransaction', [
      { from: a0.address, to: TO, value: '0xde0b6b3a7640000' },
    ])
    expect(error).toBeUndefined()
    expect(h.node.sent).toHaveLength(1)
    const { raw, tx } = h.node.sent[0]!
    expect(result).toBe(keccak256(raw))
    expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(a0.address)
    expect(tx).toMatchObject({
      type: 'eip1559',
      chainId: CHAIN_ID,
      nonce: 7,
      to: TO.toLowerCase(),
      value: 10n ** 18n,
      gas: 21_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 3_000_000_000n, // 2 × base fee + priority
    })
    expect(seen[0]!.summary).toBe(`Send 1 ETH to ${TO}`)
    expect(seen[0]!.summary.length).toBeLessThan(100)
    expect(seen[0]!.kind).toBe('transaction')
    expect(seen[0]!.answer).toBe('recipient')
    expect(seen[0]!.facts).toEqual({
      kind: 'transaction',
      chainId: CHAIN_ID,
      account: a0.address,
      to: TO,
      value: 10n ** 18n,
      data: '0x',
      selector: null,
      gas: 21_000n,
      maxFeeWei: 21_000n * 3_000_000_000n,
      decoded: undefined,
      // Simulated: 1 ETH leaves, plus the fee at the latest block (base fee 1 gwei + priority 1 gwei).
      simulation: expect.objectContaining({
        status: 'success',
        by: 'eth_simulateV1',
        gasUsed: 21_000n,
        fee: 21_000n * 2_000_000_000n,
        nativeChange: -(10n ** 18n) - 21_000n * 2_000_000_000n,
        tokenChanges: [],
        newRecipients: [TO],
      }),
    })
    expect(seen[0]!.details).toMatchObject({
      toKind: 'account (no code)',
      nonce: 'next (currently 7; assigned when sent)',
      chainId: CHAIN_ID,
      simulation: {
        result: 'succeeds',
        ETH: '−1.000042 ETH (1000042000000000000 wei)',
        fee: "0.000042 ETH (42000000000000 wei) for 21000 gas (at the latest block's base fee)",
        tokens: 'no token balance changes',
      },
    })
    // TO has no code and this account never sent to it through walletd.
    expect(seen[0]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(new RegExp(`^${TO} would receive your assets, but it has no code`)),
    ])
  })

  it('a grant revoked while the prompt is open: the yes that follows sends nothing (4100)', async () => {
    let h: ReturnType<typeof createSigningHarness>
    const { approver } = recordingApprover(async (request) => {
      // The user revokes the origin (walletd revoke, or the page on another tab) before answering.
      h.sessions.revoke(request.origin)
      return { approved: true }
    })
    h = createSigningHarness({ approver })
    const { result, error } = await h.call('eth_sendTransaction', [
      { from: a0.address, to: TO, value: '0x1' },
    ])
    expect(result).toBeUndefined()
    expect(error?.code).toBe(4100)
    expect(h.node.sent).toHaveLength(0)
  })

  it('a recipient it sent to is not new afterwards; without any simulation the prompt says NOT SIMULATED', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, value: '0x1' }])
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, value: '0x1' }])
    expect(seen[0]!.warnings).toHaveLength(1)
    expect(seen[1]!.warnings).toEqual([])
    for (const method of ['eth_simulateV1', 'debug_traceCall', 'eth_call'])
      h.node.on(method, () => {
        throw new UpstreamRpcError(-32601, `the method ${method} does not exist/is not available`)
      })
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, value: '0x1' }])
    expect(seen[2]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^NOT SIMULATED: walletd could not simulate this transaction \(eth_simulateV1: the node answered -32601: .*; debug_traceCall: .*; eth_call: .*\)\. What it would do .* was NOT checked\.$/,
      ),
    ])
    expect(seen[2]!.details.simulation).toMatchObject({ result: 'NOT SIMULATED' })
    expect(seen[2]!.facts).toMatchObject({ simulation: { status: 'not-simulated', by: null } })
    // The transaction is still sent: a simulation never decides.
    expect(h.node.sent).toHaveLength(3)
  })

  it('adds a gas buffer for calls, uses legacy gasPrice (EIP-155) without a base fee, and honours dApp fees', async () => {
    const h = createSigningHarness()
    h.node.code.set(TO.toLowerCase(), '0x6000')
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0xabcdef01' }])
    expect(h.node.sent[0]!.tx).toMatchObject({ type: 'eip1559', gas: 60_000n, data: '0xabcdef01' })
    h.node.setBaseFee(null)
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO }])
    expect(h.node.sent[1]!.tx).toMatchObject({
      type: 'legacy',
      gasPrice: 2_000_000_000n,
      chainId: CHAIN_ID,
      nonce: 1,
    })
    h.node.setBaseFee(5n)
    await h.call('eth_sendTransaction', [
      { from: a0.address, to: TO, gas: '0x5208', maxFeePerGas: '0x64', maxPriorityFeePerGas: '0x2' },
    ])
    expect(h.node.sent[2]!.tx).toMatchObject({
      type: 'eip1559',
      gas: 21_000n,
      maxFeePerGas: 100n,
      maxPriorityFeePerGas: 2n,
      nonce: 2,
    })
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, gasPrice: '0x9' }])
    expect(h.node.sent[3]!.tx).toMatchObject({ type: 'legacy', gasPrice: 9n, chainId: CHAIN_ID })
  })

  it('20 concurrent sends from one account get distinct, gap-free nonces', async () => {
    const h = createSigningHarness()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.call('eth_sendTransaction', [{ from: a1.address, to: TO, value: `0x${(i + 1).toString(16)}` }]),
      ),
    )
    expect(results.every((r) => r.error === undefined)).toBe(true)
    expect(new Set(results.map((r) => r.result)).size).toBe(20)
    expect(h.node.sent.map((s) => s.tx.nonce).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    )
  })

  it('a rejected approval and a failed broadcast consume no nonce', async () => {
    let n = 0
    const { approver } = recordingApprover(async () =>
      n++ === 1 ? { approved: false, reason: 'rejected' } : { approved: true },
    )
    const h = createSigningHarness({ approver })
    const send = () => h.call('eth_sendTransaction', [{ from: a0.address, to: TO }])
    expect((await send()).error).toBeUndefined()
    expect((await send()).error?.code).toBe(4001)
    h.node.on('eth_sendRawTransaction', () => {
      throw new UpstreamRpcError(-32000, 'replacement transaction underpriced')
    })
    expect((await send()).error).toEqual({ code: -32000, message: 'replacement transaction underpriced' })
    h.node.off('eth_sendRawTransaction')
    expect((await send()).error).toBeUndefined()
    // The rejected and the failed requests used no nonce: 0 then 1, no gap.
    expect(h.node.sent.map((s) => s.tx.nonce)).toEqual([0, 1])
    expect(h.services.nonces.peek({ chainId: CHAIN_ID, address: a0.address })).toBe(2)
  })

  it('uses a dApp nonce as given and warns about a gap', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, nonce: '0x5' }])
    expect(h.node.sent[0]!.tx.nonce).toBe(5)
    expect(seen[0]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/nonce 5 leaves a gap/)])
  })

  it('warns for unlimited approvals', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    h.node.code.set(TO.toLowerCase(), '0x6000')
    const approve = `0x095ea7b3${'0'.repeat(24)}70997970c51812dc3a010c7d01b50e0d17dc79c8${'f'.repeat(64)}`
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: approve }])
    expect(seen[0]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^UNLIMITED token approval: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 could spend ALL/,
      ),
      expect.stringMatching(/is not a contract \(it has no code\)/),
    ])
    expect(seen[0]!.summary).toBe(
      'Approve 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 to spend UNLIMITED tokens',
    )
    expect(seen[0]!.details.call).toMatchObject({
      function: 'approve(address spender, uint256 amount)',
      standard: 'ERC-20',
      spender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      allowance: `UNLIMITED (${2n ** 256n - 1n} raw units)`,
    })
  })

  it('a reverting estimate without gas: -32603 with the revert data and the decoded reason', async () => {
    const h = createSigningHarness()
    const reason = encodeErrorResult({ abi: REVERTS, errorName: 'Error', args: ['Nope: not today'] })
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(3, 'execution reverted: Nope: not today', reason)
    })
    expect((await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0x01' }])).error).toEqual(
      { code: -32603, message: 'execution reverted: Nope: not today', data: reason },
    )
    const panic = encodeErrorResult({ abi: REVERTS, errorName: 'Panic', args: [0x11n] })
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(3, 'execution reverted', panic)
    })
    expect((await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0x01' }])).error).toEqual(
      {
        code: -32603,
        message: 'execution reverted: panic 0x11: arithmetic overflow or underflow',
        data: panic,
      },
    )
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(3, 'execution reverted')
    })
    expect((await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0x01' }])).error).toEqual(
      { code: -32603, message: 'execution reverted', data: '0x' },
    )
    // Not a revert: the node's own error, relayed.
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(-32000, 'insufficient funds for gas * price + value')
    })
    expect((await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0x01' }])).error).toEqual(
      { code: -32000, message: 'insufficient funds for gas * price + value' },
    )
    expect(h.node.sent).toHaveLength(0)
  })

  it('a reverting estimate with gas (or gasLimit): asks, warning that it will likely fail and why', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    h.node.code.set(TO.toLowerCase(), '0x6000')
    const reason = encodeErrorResult({ abi: REVERTS, errorName: 'Error', args: ['Nope: not today'] })
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(3, 'execution reverted: Nope: not today', reason)
    })
    for (const gasField of ['gas', 'gasLimit']) {
      const { error } = await h.call('eth_sendTransaction', [
        { from: a0.address, to: TO, data: '0x01', [gasField]: '0x10000' },
      ])
      expect(error).toBeUndefined()
    }
    for (const prompt of seen) {
      expect(prompt.warnings).toEqual([
        {
          level: 'warning',
          message: expect.stringMatching(/will likely FAIL: simulating it reverted with "Nope: not today"/),
        },
      ])
      expect(prompt.details).toMatchObject({
        gas: '65536',
        estimate: 'reverts: Nope: not today',
        revertData: reason,
      })
    }
    expect(h.node.sent.map((s) => s.tx.gas)).toEqual([65_536n, 65_536n])
    // Another failure is shown in the node's words.
    h.node.on('eth_estimateGas', () => {
      throw new UpstreamRpcError(-32000, 'insufficient funds for gas * price + value')
    })
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, data: '0x01', gas: '0x10000' }])
    expect(seen[2]!.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/could not be estimated \(the node said: insufficient funds/),
    ])
  })

  it('gasLimit is gas; both given and different is -32602', async () => {
    const h = createSigningHarness()
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, gasLimit: '0x7530' }])
    await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, gas: '0x7530', gasLimit: '0x7530' }])
    expect(h.node.sent.map((s) => s.tx.gas)).toEqual([30_000n, 30_000n])
    const { error } = await h.call('eth_sendTransaction', [
      { from: a0.address, to: TO, gas: '0x7530', gasLimit: '0x7531' },
    ])
    expect(error).toMatchObject({ code: -32602, message: expect.stringMatching(/"gas" and "gasLimit"/) })
    expect(
      (await h.call('eth_sendTransaction', [{ from: a0.address, to: TO, gasLimit: '0x1' }])).error?.code,
    ).toBe(-32602)
  })

  it('blocks critical transactions without asking (zero address)', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { error } = await h.call('eth_sendTransaction', [
      { from: a0.address, to: '0x0000000000000000000000000000000000000000', value: '0x1' },
    ])
    expect(error).toMatchObject({ code: 4001, data: { reason: 'blocked' } })
    expect(seen).toHaveLength(0)
    expect(h.node.sent).toHaveLength(0)
  })

  it('-32602 for invalid params, following validateTxParams', async () => {
    const h = createSigningHarness()
    const bad: [unknown, RegExp?][] = [
      [[]],
      [[{ to: TO }]],
      [[{ from: a0.address, to: '0x1234' }]],
      [[{ from: a0.address, to: TO, value: '100' }]],
      [[{ from: a0.address, to: TO, value: 100 }]],
      [[{ from: a0.address, to: TO, value: '0xzz' }]],
      [[{ from: a0.address, to: TO, data: '0xabc' }]],
      [[{ from: a0.address }], /contract creation needs code/],
      [[{ from: a0.address, to: '0x' }], /contract creation needs code/],
      [[{ from: a0.address, to: TO, data: '0x01', input: '0x02' }], /"data" and "input"/],
      [[{ from: a0.address, to: TO, gasPrice: '0x1', maxFeePerGas: '0x2' }], /cannot be mixed/],
      [[{ from: a0.address, to: TO, type: '0x0', maxFeePerGas: '0x2' }]],
      [[{ from: a0.address, to: TO, type: '0x2', gasPrice: '0x2' }]],
      [[{ from: a0.address, to: TO, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }]],
      [[{ from: a0.address, to: TO, chainId: '0x1' }], /chainId 1 does not match the active chain 31337/],
      [[{ from: a0.address, to: TO, type: '0x4' }], /^External EIP-7702 transactions are not supported$/],
      [
        [{ from: a0.address, to: TO, authorizationList: [] }],
        /^External EIP-7702 transactions are not supported$/,
      ],
      [[{ from: a0.address, to: TO, type: '0x3', blobVersionedHashes: [] }], /blob/],
    ]
    for (const [params, message] of bad) {
      const { error } = await h.call('eth_sendTransaction', params)
      expect(error?.code, JSON.stringify(params)).toBe(-32602)
      if (message) expect(error?.message).toMatch(message)
    }
    expect(h.node.sent).toHaveLength(0)
  })

  it('4100 when `from` is not granted to the origin; 4001 when rejected', async () => {
    const h = createSigningHarness()
    expect((await h.call('eth_sendTransaction', [{ from: a2.address, to: TO }])).error?.code).toBe(4100)
    const rejecting = createSigningHarness({
      approver: { name: 'scripted', decide: async () => ({ approved: false, reason: 'rejected' }) },
    })
    expect((await rejecting.call('eth_sendTransaction', [{ from: a0.address, to: TO }])).error?.code).toBe(
      4001,
    )
    expect(rejecting.node.sent).toHaveLength(0)
  })

  it('sends nothing when the origin switched chains while the approval was pending', async () => {
    let h!: ReturnType<typeof createSigningHarness>
    const { approver } = recordingApprover(async () => {
      h.services.chains.add({
        chainId: 1,
        name: 'Mainnet',
        rpcUrls: ['https://x.example'],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      })
      h.sessions.setChain('https://app.example', 1)
      return { approved: true }
    })
    h = createSigningHarness({ approver })
    expect((await h.call('eth_sendTransaction', [{ from: a0.address, to: TO }])).error?.code).toBe(-32003)
    expect(h.node.sent).toHaveLength(0)
  })
})
