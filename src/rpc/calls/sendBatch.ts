import type { Logger } from 'pino'
import type { Address, Hex, TransactionSerializable } from 'viem'
import { getAddress } from 'viem'
import { keccak256 } from 'viem/utils'
import type { NonceManager } from '../../signer/createNonceManager.js'
import type { Signer } from '../../signer/types.js'
import type { Simulator } from '../../simulate/createSimulator.js'
import type { Upstream } from '../../upstream/types.js'
import { toNumber } from '../chainReads.js'
import type { CallBatch, CallReceipt } from './createCallBatchStore.js'

export type SendBatchDeps = {
  upstream: Upstream
  signer: Signer
  nonces: NonceManager
  simulator: Simulator
  log: Logger
  /** How long to wait for each call's receipt before the rest is not sent. */
  receiptTimeoutMs: number
  /** Aborted on shutdown: the rest is not sent. */
  signal: AbortSignal
  /** New recipients the simulation saw: remembered once a call is sent. */
  recipients: readonly Address[]
}

/**
 * Sends a batch's calls one by one, in order, with consecutive nonces: the account's nonce lock
 * is held for the whole batch, so nothing else from the account takes a nonce in between. Each
 * call is signed and broadcast, then its receipt awaited; a call that cannot be sent, reverts,
 * or has no receipt within `receiptTimeoutMs` stops the rest (`batch.stopped` says why). Never
 * throws; the batch ends `done`.
 */
export async function sendBatch(batch: CallBatch, deps: SendBatchDeps): Promise<void> {
  const { upstream, signer, log } = deps
  const stop = (why: string) => {
    batch.stopped = why
    log.warn({ batchId: batch.id, chainId: batch.chainId, why }, 'batch stopped')
  }
  try {
    await deps.nonces.withNonces(
      { chainId: batch.chainId, address: batch.from },
      {
        pending: async () =>
          toNumber(await upstream.request('eth_getTransactionCount', [batch.from, 'pending']), 'nonce'),
      },
      async (first) => {
        let used = 0
        for (const [i, call] of batch.calls.entries()) {
          const progress = batch.progress[i]!
          if (deps.signal.aborted) {
            stop(`walletd shut down before call ${i + 1} was sent`)
            break
          }
          const nonce = first + i
          let hash: Hex
          try {
            const raw = await signer.signTransaction(batch.from, {
              ...call.tx,
              nonce,
            } as TransactionSerializable)
            hash = keccak256(raw)
            await upstream.request('eth_sendRawTransaction', [raw])
          } catch (err) {
            progress.error = reasonOf(err)
            stop(`call ${i + 1} could not be sent: ${progress.error}`)
            break
          }
          used++
          progress.hash = hash
          log.info(
            { batchId: batch.id, chainId: batch.chainId, from: batch.from, nonce, hash },
            'batch call sent',
          )
          if (i === 0) deps.simulator.remember(batch.chainId, batch.from, deps.recipients)
          const receipt = await waitForReceipt(upstream, hash, deps.receiptTimeoutMs, deps.signal)
          if (!receipt) {
            stop(`call ${i + 1} has no receipt within ${deps.receiptTimeoutMs} ms`)
            break
          }
          progress.receipt = receipt
          if (receipt.status !== '0x1') {
            if (i < batch.calls.length - 1) stop(`call ${i + 1} reverted`)
            break
          }
        }
        return { used, result: undefined }
      },
    )
  } catch (err) {
    stop(`the batch could not be sent: ${reasonOf(err)}`)
  } finally {
    batch.state = 'done'
  }
}

/** Asks again for the receipts of sent calls that had none (a receipt that came late). */
export async function refreshReceipts(
  batch: CallBatch,
  upstream: Upstream,
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    batch.progress.map(async (p) => {
      if (p.hash === null || p.receipt !== null) return
      try {
        p.receipt = toReceipt(await upstream.request('eth_getTransactionReceipt', [p.hash], { signal }))
      } catch {}
    }),
  )
}

/** Polls for a receipt (50 ms, doubling to 1 s) until `timeoutMs`; null when none came. */
async function waitForReceipt(
  upstream: Upstream,
  hash: Hex,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<CallReceipt | null> {
  const deadline = Date.now() + timeoutMs
  let delay = 50
  while (!signal.aborted) {
    try {
      const receipt = toReceipt(await upstream.request('eth_getTransactionReceipt', [hash], { signal }))
      if (receipt) return receipt
    } catch {}
    const left = deadline - Date.now()
    if (left <= 0) return null
    await sleep(Math.min(delay, left), signal)
    delay = Math.min(delay * 2, 1000)
  }
  return null
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

const HEX = /^0x[0-9a-fA-F]*$/

/** The receipt fields EIP-5792 names, checked; null for no receipt (or a malformed one). */
export function toReceipt(value: unknown): CallReceipt | null {
  const r = value as Record<string, unknown> | null
  if (typeof r !== 'object' || r === null) return null
  const hex = (v: unknown) => typeof v === 'string' && HEX.test(v)
  if (
    (r.status !== '0x1' && r.status !== '0x0') ||
    !hex(r.blockHash) ||
    !hex(r.blockNumber) ||
    !hex(r.gasUsed) ||
    !hex(r.transactionHash) ||
    !Array.isArray(r.logs)
  )
    return null
  const logs: CallReceipt['logs'][number][] = []
  for (const l of r.logs as unknown[]) {
    const log = l as { address?: unknown; data?: unknown; topics?: unknown } | null
    if (
      typeof log?.address !== 'string' ||
      !/^0x[0-9a-fA-F]{40}$/.test(log.address) ||
      !hex(log.data) ||
      !Array.isArray(log.topics) ||
      !log.topics.every(hex)
    )
      return null
    logs.push({ address: getAddress(log.address), data: log.data as Hex, topics: log.topics as Hex[] })
  }
  return {
    logs,
    status: r.status,
    blockHash: r.blockHash as Hex,
    blockNumber: r.blockNumber as Hex,
    gasUsed: r.gasUsed as Hex,
    transactionHash: r.transactionHash as Hex,
  }
}

/** One short line for the log and the batch (the node's words, bounded; no stack). */
function reasonOf(err: unknown): string {
  const message = (err as { shortMessage?: unknown; message?: unknown } | null)?.shortMessage
  const text = typeof message === 'string' ? message : err instanceof Error ? err.message : 'unknown error'
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').slice(0, 200)
}
