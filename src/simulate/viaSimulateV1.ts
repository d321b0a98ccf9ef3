import { type Address, getAddress, getContractAddress, type Hex } from 'viem'
import type { Upstream } from '../upstream/types.js'
import { readAssetLog } from './readAssetLog.js'
import type { NativeTransfer, RawLog, RawOutcome, SimulationCall } from './types.js'

export type SimulateV1Request = {
  from: Address
  calls: readonly SimulationCall[]
  /** The nonce of the first call, when known (the next ones follow it). */
  nonce?: number | undefined
}

/** Logs read from one simulated call at most (a contract may emit many). */
export const MAX_LOGS_PER_CALL = 2_000

/**
 * `eth_simulateV1` (execution-apis): the calls in order in one simulated block on top of the
 * latest one, `traceTransfers: true` so native transfers come back as logs, `validation: false`
 * (the nonce and the balance for fees are not checked: walletd's own checks warn about those;
 * the fee is computed from the gas used). A contract creation's address follows from the
 * sender and its nonce; contracts created inside calls are not visible to this method.
 * Throws when the node cannot simulate (no such method, an error, a malformed answer).
 */
export async function viaSimulateV1(
  upstream: Upstream,
  { from, calls, nonce }: SimulateV1Request,
  signal: AbortSignal,
): Promise<RawOutcome> {
  const answer = await upstream.request(
    'eth_simulateV1',
    [
      {
        blockStateCalls: [
          {
            calls: calls.map((c, i) => ({
              from,
              ...(c.to ? { to: c.to } : {}),
              value: hex(c.value),
              input: c.data,
              ...(c.gas !== undefined ? { gas: hex(c.gas) } : {}),
              ...(nonce !== undefined ? { nonce: hex(BigInt(nonce + i)) } : {}),
            })),
          },
        ],
        traceTransfers: true,
        validation: false,
      },
      'latest',
    ],
    { signal },
  )
  if (!Array.isArray(answer) || answer.length !== 1) throw malformed('not one simulated block')
  const results = (answer[0] as { calls?: unknown } | null)?.calls
  if (!Array.isArray(results) || results.length !== calls.length) throw malformed('not one result per call')

  const outcome: RawOutcome['calls'][number][] = []
  const logs: RawLog[] = []
  const nativeTransfers: NativeTransfer[] = []
  const contractsCreated: Address[] = []
  const notes: string[] = []
  let creationsToResolve = 0
  for (const [i, raw] of results.entries()) {
    const r = raw as {
      status?: unknown
      gasUsed?: unknown
      returnData?: unknown
      logs?: unknown
      error?: unknown
    }
    const gasUsed = quantity(r.gasUsed)
    const returnData =
      typeof r.returnData === 'string' && isBytes(r.returnData) ? (r.returnData as Hex) : '0x'
    if (r.status === '0x1') {
      outcome.push({ status: 'success', gasUsed, revertData: null })
      const callLogs = Array.isArray(r.logs) ? r.logs : []
      if (callLogs.length > MAX_LOGS_PER_CALL)
        notes.push(
          `call ${i + 1} emitted ${callLogs.length} logs; only the first ${MAX_LOGS_PER_CALL} were read`,
        )
      for (const l of callLogs.slice(0, MAX_LOGS_PER_CALL)) {
        const log = rawLog(l)
        if (!log) continue
        const read = readAssetLog(log)
        if (read?.kind === 'native') nativeTransfers.push(read.transfer)
        else logs.push(log)
      }
      if (calls[i]!.to === null) creationsToResolve++
    } else if (r.status === '0x0') {
      outcome.push({ status: 'reverted', gasUsed, revertData: returnData })
      const message = (r.error as { message?: unknown } | undefined)?.message
      if (typeof message === 'string' && !/revert|execution failed/i.test(message))
        notes.push(`call ${i + 1} failed: ${message.slice(0, 200)}`)
    } else throw malformed('a call result without a status')
  }
  if (creationsToResolve > 0) {
    // The created address follows from the sender's nonce (the state nonce when none was chosen).
    const first =
      nonce ??
      Number(quantity(await upstream.request('eth_getTransactionCount', [from, 'latest'], { signal })) ?? -1)
    if (first >= 0) {
      calls.forEach((c, i) => {
        if (c.to === null && outcome[i]?.status === 'success')
          contractsCreated.push(getContractAddress({ from, nonce: BigInt(first + i) }))
      })
    }
  }
  if (calls.some((c) => c.data !== '0x'))
    notes.push('contracts created inside calls are not visible to eth_simulateV1')
  return {
    by: 'eth_simulateV1',
    changesKnown: true,
    calls: outcome,
    logs,
    nativeTransfers,
    contractsCreated,
    notes,
  }
}

/** A node's log object, checked; null when malformed. */
export function rawLog(value: unknown): RawLog | null {
  const l = value as { address?: unknown; topics?: unknown; data?: unknown } | null
  if (
    typeof l?.address !== 'string' ||
    !/^0x[0-9a-fA-F]{40}$/.test(l.address) ||
    !Array.isArray(l.topics) ||
    l.topics.length > 4 ||
    !l.topics.every((t) => typeof t === 'string' && /^0x[0-9a-fA-F]{64}$/.test(t)) ||
    typeof l.data !== 'string' ||
    !isBytes(l.data)
  )
    return null
  return { address: getAddress(l.address), topics: l.topics as Hex[], data: l.data as Hex }
}

export const hex = (n: bigint): Hex => `0x${n.toString(16)}`

export function quantity(value: unknown): bigint | null {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(value) ? BigInt(value) : null
}

export const isBytes = (s: string) => /^0x([0-9a-fA-F]{2})*$/.test(s)

const malformed = (what: string) => new Error(`malformed answer (${what})`)
