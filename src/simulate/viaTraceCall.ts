import { type Address, getAddress, type Hex } from 'viem'
import type { Upstream } from '../upstream/types.js'
import type { NativeTransfer, RawLog, RawOutcome, SimulationCall } from './types.js'
import { hex, isBytes, quantity, rawLog } from './viaSimulateV1.js'

/** Frames of one call tree walked at most (a trace can be huge). */
export const MAX_FRAMES = 10_000

type Frame = {
  type?: unknown
  from?: unknown
  to?: unknown
  value?: unknown
  gasUsed?: unknown
  output?: unknown
  error?: unknown
  logs?: unknown
  calls?: unknown
}

/**
 * `debug_traceCall` with the call tracer and its logs (`withLog: true`), for each call against
 * the latest block: native value moved by every frame that did not fail, logs of frames that did
 * not fail, contracts created (CREATE / CREATE2 frames), the top frame's gas used, and its revert
 * data when it failed. A batch's calls are traced one by one, each against the latest state (the
 * tracer cannot chain them): a call that depends on an earlier one may look like it fails.
 * Throws when the node cannot trace.
 */
export async function viaTraceCall(
  upstream: Upstream,
  { from, calls }: { from: Address; calls: readonly SimulationCall[] },
  signal: AbortSignal,
): Promise<RawOutcome> {
  const traces = await Promise.all(
    calls.map((c) =>
      upstream.request(
        'debug_traceCall',
        [
          {
            from,
            ...(c.to ? { to: c.to } : {}),
            value: hex(c.value),
            input: c.data,
            ...(c.gas !== undefined ? { gas: hex(c.gas) } : {}),
          },
          'latest',
          { tracer: 'callTracer', tracerConfig: { withLog: true } },
        ],
        { signal },
      ),
    ),
  )
  const outcome: RawOutcome['calls'][number][] = []
  const logs: RawLog[] = []
  const nativeTransfers: NativeTransfer[] = []
  const contractsCreated: Address[] = []
  const notes: string[] = []
  for (const [i, trace] of traces.entries()) {
    const top = trace as Frame | null
    if (typeof top !== 'object' || top === null || typeof top.type !== 'string')
      throw new Error('malformed answer (not a call frame)')
    const gasUsed = quantity(top.gasUsed)
    if (top.error !== undefined && top.error !== null) {
      const output = typeof top.output === 'string' && isBytes(top.output) ? (top.output as Hex) : '0x'
      outcome.push({ status: 'reverted', gasUsed, revertData: output })
      if (typeof top.error === 'string' && !/revert/i.test(top.error))
        notes.push(`call ${i + 1} failed: ${top.error.slice(0, 200)}`)
      continue
    }
    outcome.push({ status: 'success', gasUsed, revertData: null })
    // Walk the tree without recursion; a failed frame's subtree changed nothing.
    const stack: Frame[] = [top]
    let walked = 0
    while (stack.length > 0) {
      const frame = stack.pop()!
      if (++walked > MAX_FRAMES) {
        notes.push(`call ${i + 1} has more than ${MAX_FRAMES} frames; the rest were not read`)
        break
      }
      if (frame.error !== undefined && frame.error !== null) continue
      const type = typeof frame.type === 'string' ? frame.type.toUpperCase() : ''
      const value = quantity(frame.value) ?? 0n
      const fromAddress = address(frame.from)
      const to = address(frame.to)
      if (
        value > 0n &&
        fromAddress &&
        to &&
        (type === 'CALL' || type.startsWith('CREATE') || type === 'SELFDESTRUCT')
      )
        nativeTransfers.push({ from: fromAddress, to, value })
      if (type.startsWith('CREATE') && to) contractsCreated.push(to)
      if (Array.isArray(frame.logs)) {
        for (const l of frame.logs) {
          const log = rawLog(l)
          if (log) logs.push(log)
        }
      }
      if (Array.isArray(frame.calls)) {
        for (let k = frame.calls.length - 1; k >= 0; k--) {
          const child = frame.calls[k]
          if (typeof child === 'object' && child !== null) stack.push(child as Frame)
        }
      }
    }
  }
  if (calls.length > 1)
    notes.push('the calls were traced one by one against the latest state, not as a sequence')
  return {
    by: 'debug_traceCall',
    changesKnown: true,
    calls: outcome,
    logs,
    nativeTransfers,
    contractsCreated,
    notes,
  }
}

function address(value: unknown): Address | null {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value) ? getAddress(value) : null
}
