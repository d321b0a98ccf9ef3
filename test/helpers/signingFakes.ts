import { pino } from 'pino'
import type { Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { keccak256, parseTransaction } from 'viem/utils'
import { approvalAuditEvent } from '../../src/approval/approvalAuditEvent.js'
import { createApprovalBroker } from '../../src/approval/createApprovalBroker.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/approval/types.js'
import { createWatchedAssetStore } from '../../src/assets/createWatchedAssetStore.js'
import type { AuditSink } from '../../src/audit/types.js'
import { loadConfig } from '../../src/config/loadConfig.js'
import type { ChainConfig } from '../../src/config/schema.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { UpstreamRpcError } from '../../src/errors/rpc.js'
import { toJsonRpcError } from '../../src/errors/toJsonRpcError.js'
import { createMetrics } from '../../src/metrics.js'
import { createCallBatchStore } from '../../src/rpc/calls/createCallBatchStore.js'
import { createRpcPipeline } from '../../src/rpc/createRpcPipeline.js'
import { createMethodTable } from '../../src/rpc/methods/index.js'
import type { Services } from '../../src/rpc/services.js'
import type { Connection, MethodDefinition, RequestContext } from '../../src/rpc/types.js'
import { createSessionStore } from '../../src/session/createSessionStore.js'
import { createNonceManager } from '../../src/signer/createNonceManager.js'
import { createSigner, recoverTransactionSigner } from '../../src/signer/createSigner.js'
import { createSimulator } from '../../src/simulate/createSimulator.js'
import { createAddedChainStore } from '../../src/upstream/createAddedChainStore.js'
import { createChainRegistry } from '../../src/upstream/createChainRegistry.js'
import { createTokenInfoCache } from '../../src/upstream/createTokenInfoCache.js'
import type { Upstream } from '../../src/upstream/types.js'
import { privateKeyOf } from './privateKeyOf.js'

export const CHAIN_ID = 31337
export const ORIGIN = 'https://app.example'
export const accounts = Array.from({ length: 3 }, (_, i) =>
  mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }),
)

/** An approver that records what it is shown and answers from `decide` (default: approve). */
export function recordingApprover(
  decide: (r: ApprovalRequest) => Promise<ApprovalDecision> = async () => ({ approved: true }),
) {
  const seen: ApprovalRequest[] = []
  const approver: Approver = {
    name: 'scripted',
    // Decides at once, like a policy: concurrent requests are not queued behind each other.
    instant: true,
    decide: async (request) => {
      seen.push(request)
      return decide(request)
    },
  }
  return { approver, seen }
}

type Handler = (params: any) => unknown | Promise<unknown>

/**
 * A node in memory: per-account pending nonce, balances, a base fee, code; records raw
 * transactions. Any method can be overridden with `on(method, fn)`.
 */
export function createFakeUpstream(chainId = CHAIN_ID) {
  const calls: { method: string; params: any }[] = []
  const nonces = new Map<string, number>()
  const balances = new Map<string, bigint>()
  const code = new Map<string, Hex>()
  const sent: { raw: Hex; tx: ReturnType<typeof parseTransaction>; from: string }[] = []
  let baseFee: bigint | null = 1_000_000_000n
  const overrides = new Map<string, Handler>()
  const q = (n: bigint | number) => `0x${n.toString(16)}`
  const defaults: Record<string, Handler> = {
    eth_getTransactionCount: ([a]) => q(nonces.get(a.toLowerCase()) ?? 0),
    eth_getBlockByNumber: () => ({
      number: '0x10',
      gasLimit: q(30_000_000),
      ...(baseFee === null ? {} : { baseFeePerGas: q(baseFee) }),
    }),
    eth_getBalance: ([a]) => q(balances.get(a.toLowerCase()) ?? 10n ** 22n),
    eth_getCode: ([a]) => code.get(a.toLowerCase()) ?? '0x',
    eth_estimateGas: ([call]) => (call.data && call.data !== '0x' ? q(50_000) : q(21_000)),
    // A node that simulates: each call succeeds, its value moves (as eth_simulateV1 with
    // traceTransfers logs it), and it uses the gas eth_estimateGas would say.
    eth_simulateV1: ([request]) => [
      {
        number: '0x11',
        calls: request.blockStateCalls[0].calls.map((c: any) => ({
          status: '0x1',
          returnData: '0x',
          gasUsed: c.input && c.input !== '0x' ? q(50_000) : q(21_000),
          logs:
            c.value && BigInt(c.value) > 0n && c.to
              ? [
                  {
                    address: '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
                    topics: [
                      '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
                      `0x${c.from.slice(2).toLowerCase().padStart(64, '0')}`,
                      `0x${c.to.slice(2).toLowerCase().padStart(64, '0')}`,
                    ],
                    data: `0x${BigInt(c.value).toString(16).padStart(64, '0')}`,
                  },
                ]
              : [],
        })),
      },
    ],
    // Every transaction this node accepted is mined at once, successfully.
    eth_getTransactionReceipt: ([hash]) =>
      sent.some((s) => keccak256(s.raw) === hash)
        ? {
            status: '0x1',
            blockHash: `0x${'b'.repeat(64)}`,
            blockNumber: '0x11',
            gasUsed: q(21_000),
            transactionHash: hash,
            logs: [],
          }
        : null,
    eth_maxPriorityFeePerGas: () => q(1_000_000_000),
    eth_gasPrice: () => q(2_000_000_000),
    eth_sendRawTransaction: async ([raw]) => {
      const tx = parseTransaction(raw)
      const from = (await recoverTransactionSigner(raw)).toLowerCase()
      const pending = nonces.get(from) ?? 0
      if (tx.nonce! < pending) throw new UpstreamRpcError(-32000, 'nonce too low')
      sent.push({ raw, tx, from })
      // Like a node: the pending count moves when the next nonce arrives.
      if (tx.nonce === pending) nonces.set(from, pending + 1)
      return keccak256(raw)
    },
  }
  const upstream = {
    chainId,
    url: 'fake://node',
    supportsSubscriptions: false,
    async request(method: string, params: unknown) {
      calls.push({ method, params })
      const fn = overrides.get(method) ?? defaults[method]
      if (!fn) throw new UpstreamRpcError(-32601, `fake node has no ${method}`)
      return fn(params)
    },
    subscribe: async () => ({ unsubscribe: async () => {} }),
    status: () => ({ chainId, url: 'fake://node', transport: 'http', connected: true, lastError: null }),
    close: async () => {},
    ready: async () => {},
  } as unknown as Upstream
  return {
    upstream,
    calls,
    sent,
    nonces,
    balances,
    code,
    setBaseFee: (v: bigint | null) => {
      baseFee = v
    },
    on: (method: string, fn: Handler) => overrides.set(method, fn),
    off: (method: string) => overrides.delete(method),
  }
}

export type Harness = Awaited<ReturnType<typeof createSigningHarness>>

/** The real pipeline and method table over fake services (no network). */
export function createSigningHarness(
  options: {
    approver?: Approver | null
    grant?: boolean
    now?: () => number
    /** Method definitions that replace the table's ones of the same name (e.g. with a fake probe). */
    replace?: readonly MethodDefinition[]
    /** Where audit records go (decisions included); default: nowhere. */
    audit?: AuditSink
  } = {},
) {
  const node = createFakeUpstream()
  const added = new Map<number, Upstream>()
  const now = options.now ?? (() => 1_700_000_000_000)
  const sessions = createSessionStore({ defaultChainId: () => CHAIN_ID, now })
  const log = pino({ level: 'silent' })
  const services: Services = {
    config: loadConfig({ env: { XDG_CONFIG_HOME: '/nonexistent/walletd-test' } }),
    log,
    metrics: createMetrics({ defaults: false }),
    chains: createChainRegistry([], CHAIN_ID),
    addedChains: createAddedChainStore({ now }),
    upstreams: {
      get: (id: number) => (id === CHAIN_ID ? node.upstream : added.get(id)),
      all: () => [node.upstream, ...added.values()],
      add: (chain: ChainConfig) => {
        const upstream = added.get(chain.chainId) ?? createFakeUpstream(chain.chainId).upstream
        added.set(chain.chainId, upstream)
        return upstream
      },
      close: async () => {},
    },
    sessions,
    approvals: createApprovalBroker({
      approvers:
        options.approver === undefined
          ? [recordingApprover().approver]
          : options.approver === null
            ? []
            : [options.approver],
      timeoutMs: 10_000,
      now,
      ...(options.audit
        ? { onDecision: (request, decided) => options.audit!.record(approvalAuditEvent(request, decided)) }
        : {}),
    }),
    audit: options.audit ?? { record: () => {}, synced: () => Promise.resolve() },
    limiter: {
      take: () => ({ ok: true }),
      refund: () => {},
      takeFrame: () => ({ ok: true }),
      releaseConnection: () => {},
    },
    signer: createSigner({ privateKeys: accounts.map(privateKeyOf) }),
    nonces: createNonceManager({ now }),
    tokenInfo: createTokenInfoCache({ now }),
    batches: createCallBatchStore({ maxPerOrigin: 100, maxTotal: 1000, retentionMs: 86_400_000, now }),
    simulator: createSimulator({ enabled: true, timeoutMs: 1_500, tokenInfo: createTokenInfoCache({ now }) }),
    watchedAssets: createWatchedAssetStore({ now }),
    subscriptions: undefined as never,
    now,
  } as unknown as Services
  if (options.grant !== false) sessions.grantAccounts(ORIGIN, [accounts[0]!.address, accounts[1]!.address])
  const table = new Map(createMethodTable())
  for (const m of options.replace ?? []) table.set(m.method, m)
  const pipeline = createRpcPipeline(services, table)
  const conn: Connection = {
    id: 'c1',
    transport: 'ws',
    origin: ORIGIN,
    tokenName: null,
    log,
    notify: undefined,
    onClose: () => {},
    closed: false,
    inFlight: 0,
  }
  /** Runs one request; resolves `{ result }` or `{ error: { code, message, data } }`. */
  async function call(method: string, params?: unknown, origin = ORIGIN) {
    const ctx: RequestContext = {
      request: { jsonrpc: '2.0', id: 1, method, params },
      conn: { ...conn, origin },
      log,
      signal: new AbortController().signal,
      get session() {
        return sessions.view(origin)
      },
    }
    try {
      return { result: (await pipeline(ctx)) as any, error: undefined }
    } catch (err) {
      return { result: undefined, error: toJsonRpcError(err) }
    }
  }
  return { services, node, sessions, call }
}
