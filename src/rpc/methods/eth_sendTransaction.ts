import type { Address, Hex, TransactionSerializable } from 'viem'
import { keccak256 } from 'viem/utils'
import type { ApprovalDraft } from '../../approval/types.js'
import { InternalError, InvalidParamsError } from '../../errors/rpc.js'
import { withFee } from '../../simulate/summarizeOutcome.js'
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
import { type DecodedRevert, decodeRevert, oneLine, revertOf } from '../decode/decodeRevert.js'
import { describeCall } from '../decode/describeCall.js'
import { describeSimulation } from '../decode/describeSimulation.js'
import { displayDetails } from '../decode/displayDetails.js'
import { fitSummary } from '../decode/fitSummary.js'
import { compactAmount, formatEtherAmount } from '../decode/formatAmount.js'
import { defineMethod } from '../defineMethod.js'
import { checkTransactionRequest, zSendTransactionParams } from '../schemas/transaction.js'
import { signerFor } from '../signerFor.js'
import { upstreamFor, upstreamForApproved } from '../upstreamFor.js'

export type SendTransactionOptions = {
  /** A transaction whose fees could exceed this (gas × max fee per gas) gets a warning. Default 0.1 ether. */
  maxFeeWei?: bigint
  /** Gas limit = estimate × (100 + gasBufferPercent) / 100 when the dApp gives none. Default 20. */
  gasBufferPercent?: number
  /** Priority fee when the upstream cannot suggest one. Default 1 gwei. */
  fallbackPriorityFeeWei?: bigint
}

/** What `prepare` fills and the approver sees; the nonce is taken after approval. */
export type PreparedSend = {
  from: Address
  chainId: number
  /** The dApp's own nonce, if it chose one. */
  nonce: number | undefined
  tx: TransactionSerializable
  /** New recipients the simulation saw: remembered once sent (no longer "new" afterwards). */
  recipients: readonly Address[]
}

/**
 * `eth_sendTransaction`: validates like MetaMask's `validateTxParams`, fills gas, EIP-1559 fees
 * (legacy gasPrice when the chain has no base fee) and the chain id (EIP-155 always), runs the
 * Clef checks, asks for approval, then signs locally and broadcasts with eth_sendRawTransaction.
 *
 * Nonce policy: the nonce is assigned after approval, under the per-account lock of
 * `services.nonces` held only while signing and broadcasting (see createNonceManager). A long
 * approval blocks no one; a rejected or failed send consumes no nonce.
 */
export function createEthSendTransaction(options: SendTransactionOptions = {}) {
  const feeCapWei = options.maxFeeWei ?? DEFAULT_MAX_FEE_WEI
  const bufferPercent = BigInt(options.gasBufferPercent ?? 20)
  const fallbackPriorityFee = options.fallbackPriorityFeeWei ?? 1_000_000_000n

  return defineMethod({
    method: 'eth_sendTransaction',
    params: zSendTransactionParams,
    permission: 'accounts',
    cost: 'sign',
    accounts: ([tx]) => [tx.from],
    approval: {
      kind: 'transaction',
      // The last 4 hex characters of who receives: the recipient, or for a token call the address it names.
      answer: 'recipient',
      prepare: async ({ params: [request], ctx, services }): Promise<ApprovalDraft<PreparedSend>> => {
        const chainId = ctx.session.chainId
        const tx = checkTransactionRequest(request, chainId)
        signerFor(services, tx.from)
        const upstream = upstreamFor(services, ctx)
        const opts = { signal: ctx.signal }
        const call: Record<string, unknown> = { from: tx.from, value: toHex(tx.value), data: tx.data }
        if (tx.to) call.to = tx.to
        if (tx.accessList) call.accessList = tx.accessList

        // The simulation runs beside the other reads, bounded by simulation.timeoutMs; its fee is
        // added once the fees are filled.
        const simulation = services.simulator.simulate({
          upstream,
          from: tx.from,
          calls: [{ to: tx.to, value: tx.value, data: tx.data, gas: tx.gas }],
          nonce: tx.nonce,
          signal: ctx.signal,
        })
        const [pendingNonce, block, balance, code, estimate, decoded, simulated] = await Promise.all([
          upstream
            .request('eth_getTransactionCount', [tx.from, 'pending'], opts)
            .then((r) => toNumber(r, 'nonce')),
          upstream.request('eth_getBlockByNumber', ['latest', false], opts).then(toBlock),
          upstream.request('eth_getBalance', [tx.from, 'latest'], opts).then((r) => toBigInt(r, 'balance')),
          tx.to
            ? upstream.request('eth_getCode', [tx.to, 'latest'], opts).then((r) => String(r))
            : Promise.resolve(null),
          upstream.request('eth_estimateGas', [call], opts).then(
            (r) => ({ gas: toBigInt(r, 'gas estimate') }),
            (error: unknown) => ({ error }),
          ),
          tx.to !== null && tx.data !== '0x'
            ? describeCall({
                data: tx.data,
                contract: tx.to,
                upstream,
                tokenInfo: services.tokenInfo,
                signal: ctx.signal,
              })
            : Promise.resolve(null),
          simulation,
        ])
        const revert = 'error' in estimate ? revertOf(estimate.error) : null
        const decodedRevert = revert ? decodeRevert(revert.data) : null
        if ('error' in estimate && tx.gas === undefined) {
          // Nothing to send with: answer the revert as nodes do, its reason decoded (viem and
          // ethers read `data`); any other failure is the node's own error, relayed.
          if (revert && decodedRevert) throw revertError(decodedRevert)
          throw estimate.error
        }
        const estimatedGas = 'gas' in estimate ? estimate.gas : null

        let gas = tx.gas
        if (gas === undefined) {
          const estimated = estimatedGas as bigint
          gas =
            estimated === 21_000n && tx.data === '0x' ? 21_000n : (estimated * (100n + bufferPercent)) / 100n
          // The buffer never pushes the limit above the block gas limit (unless the estimate itself is).
          if (block.gasLimit !== null && gas > block.gasLimit) gas = maxBigInt(estimated, block.gasLimit)
        }

        const base = { chainId, to: tx.to ?? undefined, value: tx.value, data: tx.data, gas }
        let filled: TransactionSerializable
        if (tx.type === 'eip1559' || (tx.type === undefined && block.baseFeePerGas !== null)) {
          if (block.baseFeePerGas === null) {
            throw new InvalidParamsError({
              message: 'Invalid transaction params: this chain does not support EIP-1559 fees; use gasPrice.',
            })
          }
          let priority = tx.maxPriorityFeePerGas
          if (priority === undefined) {
            priority = await suggestPriorityFee(upstream, opts.signal, fallbackPriorityFee)
            if (tx.maxFeePerGas !== undefined && priority > tx.maxFeePerGas) priority = tx.maxFeePerGas
          }
          const maxFee = tx.maxFeePerGas ?? block.baseFeePerGas * 2n + priority
          filled = {
            ...base,
            type: 'eip1559',
            maxFeePerGas: maxFee,
            maxPriorityFeePerGas: priority,
            accessList: tx.accessList,
          }
        } else {
          const gasPrice =
            tx.gasPrice ?? toBigInt(await upstream.request('eth_gasPrice', [], opts), 'gas price')
          filled =
            tx.type === 'eip2930'
              ? { ...base, type: 'eip2930', gasPrice, accessList: tx.accessList ?? [] }
              : { ...base, type: 'legacy', gasPrice }
        }

        // Only the fee fields: spreading the whole filled transaction would put its `to: undefined`
        // (a contract creation) over the checked `to: null`.
        const { gasPrice, maxFeePerGas, maxPriorityFeePerGas } = filled as {
          gasPrice?: bigint
          maxFeePerGas?: bigint
          maxPriorityFeePerGas?: bigint
        }
        const fees = { gasPrice, maxFeePerGas, maxPriorityFeePerGas }
        const warnings = checkTransaction(
          {
            tx: { from: tx.from, to: tx.to, value: tx.value, data: tx.data, gas, chainId, ...fees },
            requested: {
              data: request.data,
              input: request.input,
              chainId: request.chainId,
              nonce: request.nonce,
            },
            activeChainId: chainId,
            estimatedGas,
            estimateFailure:
              'error' in estimate
                ? decodedRevert
                  ? { reverted: true, reason: decodedRevert.text }
                  : { reverted: false, reason: oneLine(errorText(estimate.error), 300) }
                : undefined,
            pendingNonce,
            balance,
          },
          { maxFeeWei: feeCapWei },
        )

        if (decoded) warnings.push(...decoded.warnings)
        const decodedFacts = decoded ? callFacts(decoded) : undefined
        const sim = withFee(simulated, effectiveGasPrice(fees, block.baseFeePerGas))
        const described = describeSimulation(sim, {
          calls: [{ to: tx.to, decoded: decodedFacts }],
          revertWarned: decodedRevert !== null,
        })
        warnings.push(...described.warnings)

        const feePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n
        const maxFeeWei = gas * feePerGas
        const isContract = code !== null && code !== '0x'
        const selector = tx.data.length >= 10 ? (tx.data.slice(0, 10) as Hex) : null
        const value = tx.value > 0n ? `${compactAmount(tx.value, 18)} ETH` : null
        const summary = fitSummary((short) =>
          tx.to === null
            ? `Deploy a contract (${(tx.data.length - 2) / 2} bytes of code)${value ? ` with ${value}` : ''}`
            : decoded === null
              ? `Send ${compactAmount(tx.value, 18)} ETH to ${short(tx.to)}`
              : `${decoded.summary}${value ? `, sending ${value}` : ''}`,
        )
        const prepared: PreparedSend = {
          from: tx.from,
          chainId,
          nonce: tx.nonce,
          tx: filled,
          recipients: sim.newRecipients,
        }
        return {
          summary,
          details: {
            from: tx.from,
            to: tx.to ?? '(contract creation)',
            toKind: tx.to === null ? 'new contract' : isContract ? 'contract' : 'account (no code)',
            value: formatEtherAmount(tx.value),
            dataBytes: (tx.data.length - 2) / 2,
            selector,
            ...(decoded ? { call: displayDetails(decoded.display) } : {}),
            gas: gas.toString(),
            ...feeDetails(fees),
            maxFee: formatEtherAmount(maxFeeWei),
            nonce:
              tx.nonce === undefined
                ? `next (currently ${pendingNonce}; assigned when sent)`
                : `${tx.nonce} (chosen by the dApp)`,
            chainId,
            type: filled.type,
            ...(decodedRevert
              ? { estimate: `reverts: ${decodedRevert.text}`, revertData: decodedRevert.data }
              : {}),
            ...described.details,
          },
          facts: {
            kind: 'transaction',
            chainId,
            account: tx.from,
            to: tx.to,
            value: tx.value,
            data: tx.data,
            selector,
            gas,
            maxFeeWei,
            decoded: decodedFacts,
            simulation: sim,
          },
          warnings,
          prepared,
        }
      },
    },
    handler: async ({ ctx, services, approved }) => {
      if (!approved) throw new InternalError({ details: 'eth_sendTransaction ran without an approval' })
      const p = approved.prepared
      // The approved transaction is for the chain the origin was on; if it switched meanwhile, send nothing.
      const upstream = upstreamForApproved(services, ctx, p.chainId, 'transaction')
      const signer = signerFor(services, p.from)
      return services.nonces.withNonce(
        { chainId: p.chainId, address: p.from },
        {
          fixed: p.nonce,
          pending: async () =>
            toNumber(await upstream.request('eth_getTransactionCount', [p.from, 'pending']), 'nonce'),
        },
        async (nonce) => {
          const raw = await signer.signTransaction(p.from, { ...p.tx, nonce } as TransactionSerializable)
          const hash = keccak256(raw)
          const answered = await upstream.request('eth_sendRawTransaction', [raw])
          if (typeof answered !== 'string' || answered.toLowerCase() !== hash) {
            ctx.log.warn(
              { chainId: p.chainId },
              'upstream answered eth_sendRawTransaction with an unexpected hash',
            )
          }
          ctx.log.info({ chainId: p.chainId, from: p.from, nonce, hash }, 'transaction sent')
          services.simulator.remember(p.chainId, p.from, p.recipients)
          return hash
        },
      )
    },
  })
}

/** The method with the default fee cap (0.1 ether). */
export const ethSendTransaction = createEthSendTransaction()

/**
 * -32603 with the revert data, as MetaMask answers a reverting send (viem's getContractError
 * decodes `data` with the contract's ABI); the message keeps the nodes' "execution reverted"
 * words with walletd's decoding of the reason.
 */
function revertError(decoded: DecodedRevert): InstanceType<typeof InternalError> {
  return new InternalError({
    message: decoded.kind === 'empty' ? 'execution reverted' : `execution reverted: ${decoded.text}`,
    data: decoded.data,
  })
}

function errorText(err: unknown): string {
  const message = (err as { shortMessage?: unknown; message?: unknown } | null)?.shortMessage
  return typeof message === 'string' ? message : 'unknown error'
}

const maxBigInt = (a: bigint, b: bigint) => (a > b ? a : b)

const toHex = (n: bigint): Hex => `0x${n.toString(16)}`
