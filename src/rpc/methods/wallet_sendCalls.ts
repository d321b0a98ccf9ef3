import { randomBytes } from 'node:crypto'
import type { Address, Hex, TransactionSerializable } from 'viem'
import type { ApprovalDraft, ApprovalWarning, BatchCallFacts } from '../../approval/types.js'
import {
  AtomicityNotSupportedError,
  BundleTooLargeError,
  DuplicateIdError,
  InternalError,
  InvalidInputError,
  InvalidParamsError,
  UnauthorizedError,
  UnsupportedChainIdError,
  UnsupportedNonOptionalCapabilityError,
} from '../../errors/rpc.js'
import { withFee } from '../../simulate/summarizeOutcome.js'
import type { BatchCall, CallBatch } from '../calls/createCallBatchStore.js'
import { sendBatch } from '../calls/sendBatch.js'
import {
  effectiveGasPrice,
  feeDetails,
  suggestPriorityFee,
  toBigInt,
  toBlock,
  toNumber,
} from '../chainReads.js'
import { checkTransaction, DEFAULT_MAX_FEE_WEI } from '../checks/checkTransaction.js'
import { callFacts } from '../decode/callFacts.js'
import { decodeRevert, revertOf } from '../decode/decodeRevert.js'
import { describeCall } from '../decode/describeCall.js'
import { describeSimulation } from '../decode/describeSimulation.js'
import { displayDetails } from '../decode/displayDetails.js'
import { fitSummary } from '../decode/fitSummary.js'
import { compactAmount, formatEtherAmount } from '../decode/formatAmount.js'
import { defineMethod } from '../defineMethod.js'
import { type SendCallsParams, zSendCallsParams } from '../schemas/calls.js'
import type { Services } from '../services.js'
import { signerFor } from '../signerFor.js'
import type { ResolvedContext } from '../types.js'
import { upstreamFor, upstreamForApproved } from '../upstreamFor.js'

export type SendCallsOptions = {
  /** A batch whose fees could exceed this (sum of gas × max fee per gas) gets a warning. Default 0.1 ether. */
  maxFeeWei?: bigint
  /** Gas limit = gas estimate × (100 + gasBufferPercent) / 100. Default 20. */
  gasBufferPercent?: number
  /** Gas limit from a simulated sequence = gas used × (100 + simulatedGasBufferPercent) / 100. Default 30. */
  simulatedGasBufferPercent?: number
  /** Priority fee when the upstream cannot suggest one. Default 1 gwei. */
  fallbackPriorityFeeWei?: bigint
}

/** What the approval hands the handler: the filled calls, ready to sign one by one. */
export type PreparedBatch = {
  /** The app's id, when it gave one. */
  id: string | undefined
  from: Address
  chainId: number
  calls: BatchCall[]
  recipients: readonly Address[]
}

/**
 * `wallet_sendCalls` (EIP-5792, version 2.0.0) for a plain key: the calls are approved once, as a
 * whole, after being simulated as one sequence (eth_simulateV1: several calls in one block), then
 * sent one by one, in order, with consecutive nonces, each after the previous one's receipt; a
 * call that fails stops the rest, and `wallet_getCallsStatus` reports it. Not atomic:
 * `atomicRequired: true` is 5760. Returns `{ id }` at once (the app's id, or a random one).
 */
export function createWalletSendCalls(options: SendCallsOptions = {}) {
  const feeCapWei = options.maxFeeWei ?? DEFAULT_MAX_FEE_WEI
  const bufferPercent = BigInt(options.gasBufferPercent ?? 20)
  const simulatedBufferPercent = BigInt(options.simulatedGasBufferPercent ?? 30)
  const fallbackPriorityFee = options.fallbackPriorityFeeWei ?? 1_000_000_000n

  return defineMethod({
    method: 'wallet_sendCalls',
    params: zSendCallsParams,
    permission: 'accounts',
    cost: 'sign',
    accounts: ([p]) => (p.from ? [p.from] : []),
    approval: {
      kind: 'calls',
      prepare: async ({ params: [p], ctx, services }): Promise<ApprovalDraft<PreparedBatch>> => {
        checkBatchRequest(p, ctx, services)
        const chainId = ctx.session.chainId
        const from = p.from ?? firstAccount(ctx)
        signerFor(services, from)
        const upstream = upstreamFor(services, ctx)
        const opts = { signal: ctx.signal }
        const calls = p.calls.map((c) => ({ to: c.to ?? null, value: c.value ?? 0n, data: c.data ?? '0x' }))

        const simulation = services.simulator.simulate({ upstream, from, calls, signal: ctx.signal })
        const [pendingNonce, block, balance, estimates, decoded, simulated] = await Promise.all([
          upstream
            .request('eth_getTransactionCount', [from, 'pending'], opts)
            .then((r) => toNumber(r, 'nonce')),
          upstream.request('eth_getBlockByNumber', ['latest', false], opts).then(toBlock),
          upstream.request('eth_getBalance', [from, 'latest'], opts).then((r) => toBigInt(r, 'balance')),
          // Each call alone against the latest state: exact for the first, a floor for the others.
          Promise.all(
            calls.map((c) =>
              upstream
                .request(
                  'eth_estimateGas',
                  [{ from, ...(c.to ? { to: c.to } : {}), value: hex(c.value), data: c.data }],
                  opts,
                )
                .then(
                  (r) => ({ gas: toBigInt(r, 'gas estimate') }),
                  (error: unknown) => ({ error }),
                ),
            ),
          ),
          Promise.all(
            calls.map((c) =>
              c.to !== null && c.data !== '0x'
                ? describeCall({
                    data: c.data,
                    contract: c.to,
                    upstream,
                    tokenInfo: services.tokenInfo,
                    signal: ctx.signal,
                  })
                : Promise.resolve(null),
            ),
          ),
          simulation,
        ])

        // Gas: the larger of the call's own estimate and what the simulated sequence used, with buffers.
        const gases = calls.map((_, i) => {
          const estimate = estimates[i]!
          const used =
            simulated.changesKnown || simulated.by === 'eth_call' ? simulated.calls[i]?.gasUsed : null
          const candidates = [
            'gas' in estimate ? (estimate.gas * (100n + bufferPercent)) / 100n : null,
            used !== null && used !== undefined ? (used * (100n + simulatedBufferPercent)) / 100n : null,
          ].filter((g): g is bigint => g !== null)
          if (candidates.length === 0) throw gasError(i, (estimate as { error: unknown }).error)
          // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers)
          let gas = candidates.reduce((a, b) => (a > b ? a : b))
          if (gas < 21_000n) gas = 21_000n
          if (block.gasLimit !== null && gas > block.gasLimit) gas = block.gasLimit
          return gas
        })

        let fees: { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }
        let type: 'eip1559' | 'legacy'
        if (block.baseFeePerGas !== null) {
          const priority = await suggestPriorityFee(upstream, ctx.signal, fallbackPriorityFee)
          fees = { maxFeePerGas: block.baseFeePerGas * 2n + priority, maxPriorityFeePerGas: priority }
          type = 'eip1559'
        } else {
          fees = { gasPrice: toBigInt(await upstream.request('eth_gasPrice', [], opts), 'gas price') }
          type = 'legacy'
        }
        const feePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n

        const warnings: ApprovalWarning[] = []
        const prefixed = (i: number, list: readonly ApprovalWarning[]) =>
          list.map((w) => ({ level: w.level, message: `Call ${i + 1}: ${w.message}` }))
        calls.forEach((c, i) => {
          warnings.push(
            ...prefixed(
              i,
              checkTransaction(
                {
                  tx: { from, to: c.to, value: c.value, data: c.data, gas: gases[i]!, chainId, ...fees },
                  requested: {},
                  activeChainId: chainId,
                  estimatedGas: gases[i]!,
                  pendingNonce: pendingNonce + i,
                  balance,
                },
                { maxFeeWei: feeCapWei },
              ),
            ),
          )
          if (decoded[i]) warnings.push(...prefixed(i, decoded[i]!.warnings))
        })
        const totalValue = calls.reduce((sum, c) => sum + c.value, 0n)
        const totalGas = gases.reduce((sum, g) => sum + g, 0n)
        const maxFeeWei = totalGas * feePerGas
        if (maxFeeWei > feeCapWei)
          warnings.push({
            level: 'warning',
            message: `The batch's fees could reach ${formatEtherAmount(maxFeeWei)} in all, above the cap of ${formatEtherAmount(feeCapWei)}.`,
          })
        if (totalValue + maxFeeWei > balance)
          warnings.push({
            level: 'warning',
            message: `Insufficient balance for the whole batch: ${formatEtherAmount(totalValue + maxFeeWei)} needed for its value plus maximum fees, the account has ${formatEtherAmount(balance)}: a later call would fail.`,
          })

        const facts: BatchCallFacts[] = calls.map((c, i) => ({
          to: c.to,
          value: c.value,
          data: c.data,
          selector: c.data.length >= 10 ? (c.data.slice(0, 10) as Hex) : null,
          decoded: decoded[i] ? callFacts(decoded[i]!) : undefined,
        }))
        const sim = withFee(simulated, effectiveGasPrice(fees, block.baseFeePerGas))
        const described = describeSimulation(sim, {
          calls: facts.map((f) => ({ to: f.to, decoded: f.decoded })),
          revertWarned: false,
        })
        warnings.push(...described.warnings)

        const first = calls[0]!
        const firstDecoded = decoded[0]
        const summary = fitSummary((short) => {
          const what =
            first.to === null
              ? 'deploy a contract'
              : firstDecoded
                ? firstDecoded.summary
                : `send ${compactAmount(first.value, 18)} ETH to ${short(first.to)}`
          const value = totalValue > 0n ? ` sending ${compactAmount(totalValue, 18)} ETH` : ''
          return `Batch of ${calls.length} calls${value}; first: ${what}`
        })

        const batchCalls: BatchCall[] = calls.map((c, i) => {
          const base = { chainId, to: c.to ?? undefined, value: c.value, data: c.data, gas: gases[i]! }
          const tx: TransactionSerializable =
            type === 'eip1559'
              ? {
                  ...base,
                  type: 'eip1559',
                  maxFeePerGas: fees.maxFeePerGas!,
                  maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
                }
              : { ...base, type: 'legacy', gasPrice: fees.gasPrice! }
          return { ...c, tx }
        })

        return {
          summary,
          details: {
            from,
            chainId,
            calls: calls.map((c, i) => ({
              to: c.to ?? '(contract creation)',
              value: formatEtherAmount(c.value),
              dataBytes: (c.data.length - 2) / 2,
              ...(decoded[i] ? { call: displayDetails(decoded[i]!.display) } : {}),
              gas: gases[i]!.toString(),
            })),
            value: formatEtherAmount(totalValue),
            gas: totalGas.toString(),
            ...feeDetails(fees),
            maxFee: formatEtherAmount(maxFeeWei),
            sending: `one by one, in order, with consecutive nonces from ${pendingNonce} (assigned when sent); each after the previous one's receipt; a call that fails stops the rest (not atomic)`,
            ...described.details,
          },
          facts: {
            kind: 'calls',
            chainId,
            account: from,
            calls: facts,
            value: totalValue,
            gas: totalGas,
            maxFeeWei,
            simulation: sim,
          },
          warnings,
          prepared: { id: p.id, from, chainId, calls: batchCalls, recipients: sim.newRecipients },
        }
      },
    },
    handler: async ({ ctx, services, approved }) => {
      if (!approved) throw new InternalError({ details: 'wallet_sendCalls ran without an approval' })
      const p = approved.prepared
      const upstream = upstreamForApproved(services, ctx, p.chainId, 'batch')
      const signer = signerFor(services, p.from)
      const batch: CallBatch = {
        id: p.id ?? `0x${randomBytes(32).toString('hex')}`,
        origin: ctx.conn.origin,
        chainId: p.chainId,
        from: p.from,
        createdAt: services.now(),
        calls: p.calls,
        progress: p.calls.map(() => ({ hash: null, receipt: null, error: null })),
        state: 'sending',
        stopped: null,
      }
      services.batches.add(batch)
      ctx.log.info({ batchId: batch.id, chainId: p.chainId, calls: p.calls.length }, 'batch accepted')
      void sendBatch(batch, {
        upstream,
        signer,
        nonces: services.nonces,
        simulator: services.simulator,
        log: services.log,
        receiptTimeoutMs: services.config.batches.receiptTimeoutMs,
        signal: services.batches.signal,
        recipients: p.recipients,
      })
      return { id: batch.id }
    },
  })
}

export const walletSendCalls = createWalletSendCalls()

/**
 * The checks with their own EIP-5792 codes, before anything is read: the version (-32000, MetaMask's
 * words), atomicity (5760), capabilities not marked optional (5700), the chain (5710: the session's
 * active chain only), the size (5740), a reused id (5720), a call without code to run (-32602).
 */
function checkBatchRequest(p: SendCallsParams, ctx: ResolvedContext, services: Services): void {
  if (p.version !== '2.0.0')
    throw new InvalidInputError({ message: `Version not supported: Got ${p.version}, expected 2.0.0` })
  if (p.atomicRequired)
    throw new AtomicityNotSupportedError({
      message:
        'The wallet does not support atomic execution but the request requires it: walletd signs with a plain key and sends calls one by one.',
    })
  const required = [
    ...requiredCapabilities(p.capabilities),
    ...p.calls.flatMap((c) => requiredCapabilities(c.capabilities)),
  ]
  if (required.length > 0)
    throw new UnsupportedNonOptionalCapabilityError({
      message: `Unsupported non-optional capability: ${[...new Set(required)].slice(0, 8).join(', ')}.`,
    })
  if (p.chainId !== ctx.session.chainId)
    throw new UnsupportedChainIdError({
      message: `Unsupported chain id ${p.chainId}: walletd sends batches on the active chain (${ctx.session.chainId}) only.`,
    })
  const maxCalls = services.config.batches.maxCalls
  if (p.calls.length > maxCalls)
    throw new BundleTooLargeError({ message: `The batch has ${p.calls.length} calls; at most ${maxCalls}.` })
  if (p.id !== undefined && services.batches.has(ctx.conn.origin, p.id)) throw new DuplicateIdError()
  p.calls.forEach((c, i) => {
    if (c.to === undefined && (c.data === undefined || c.data === '0x'))
      throw new InvalidParamsError({
        message: `Invalid parameters: calls[${i}] has neither "to" nor data (a contract creation needs code).`,
      })
  })
}

/** Capabilities present and not marked `optional: true` (walletd supports none). */
function requiredCapabilities(capabilities: Record<string, unknown> | undefined): string[] {
  return Object.entries(capabilities ?? {})
    .filter(([, v]) => (v as { optional?: unknown } | null)?.optional !== true)
    .map(([k]) => k.slice(0, 64))
}

function firstAccount(ctx: ResolvedContext): Address {
  const account = ctx.session.accounts[0]
  if (!account) throw new UnauthorizedError()
  return account
}

/** A call whose gas cannot be known before the prompt: its revert decoded, or the node's error. */
function gasError(i: number, error: unknown): Error {
  const revert = revertOf(error)
  if (revert) {
    const decoded = decodeRevert(revert.data)
    return new InternalError({
      message: `execution reverted: ${decoded.kind === 'empty' ? 'without a reason' : decoded.text} (call ${i + 1} of the batch)`,
      data: decoded.data,
    })
  }
  return error instanceof Error ? error : new InternalError()
}

const hex = (n: bigint): Hex => `0x${n.toString(16)}`
