import type { Address } from 'viem'
import type { GrantedApproval, SimulationFacts, TokenChange } from '../approval/types.js'
import { ChainDisconnectedError, RpcError } from '../errors/rpc.js'
import type { TokenInfo, TokenInfoCache } from '../upstream/createTokenInfoCache.js'
import { hasCode } from '../upstream/hasCode.js'
import type { Upstream } from '../upstream/types.js'
import { type Summary, summarizeOutcome } from './summarizeOutcome.js'
import type { RawOutcome, SimulationCall } from './types.js'
import { viaEthCall } from './viaEthCall.js'
import { viaSimulateV1 } from './viaSimulateV1.js'
import { viaTraceCall } from './viaTraceCall.js'

export type SimulatorOptions = {
  /** false: nothing is simulated; every prompt says so. */
  enabled: boolean
  /** The most a simulation (with its token and recipient reads) may take before the prompt. */
  timeoutMs: number
  tokenInfo: TokenInfoCache
  /** Recipients remembered per chain and account (most recent kept). Default 10,000. */
  maxRemembered?: number
}

export type SimulateParameters = {
  upstream: Upstream
  from: Address
  calls: readonly SimulationCall[]
  /** The nonce of the first call, when the dApp chose one. */
  nonce?: number | undefined
  signal?: AbortSignal | undefined
}

export type Simulator = ReturnType<typeof createSimulator>

/** Token metadata read for one simulation at most; the rest is shown in raw units. */
export const MAX_TOKEN_READS = 16
/** Recipients whose code is checked for one simulation at most. */
export const MAX_RECIPIENT_CHECKS = 8
/** 2^255: an ERC-20 allowance from here is "unlimited"; 2^159 for Permit2's uint160. */
const UNLIMITED = 2n ** 255n
const UNLIMITED_160 = 2n ** 159n

/**
 * Simulates what a transaction (or a batch, as one sequence) would do, on the upstream walletd
 * already talks to: `eth_simulateV1` with traced transfers, else `debug_traceCall` with the call
 * tracer and logs, else `eth_call` with the gas estimate; every step's failure is noted. The
 * changes are summed up for the sender (native, ERC-20/721/1155, approvals granted, contracts
 * created), token symbols and decimals read through the cache, and outflows to addresses without
 * code that walletd never sent to from this account flagged.
 *
 * Bounded: the whole simulation, its reads included, gives up after `timeoutMs` (the answer then
 * says what could not be done). It never throws, and it decides nothing: it only describes.
 */
export function createSimulator({ enabled, timeoutMs, tokenInfo, maxRemembered = 10_000 }: SimulatorOptions) {
  /** `chainId:account:recipient` of sends walletd made, most recent last. */
  const sentTo = new Map<string, true>()
  const keyOf = (chainId: number, from: Address, to: Address) =>
    `${chainId}:${from.toLowerCase()}:${to.toLowerCase()}`

  async function simulate(p: SimulateParameters): Promise<SimulationFacts> {
    if (!enabled) return notSimulated(['simulation is turned off (simulation.enabled is false)'])
    if (p.calls.length === 0) return notSimulated(['nothing to simulate'])
    const controller = new AbortController()
    const outer = p.signal
    const onAbort = () => controller.abort(new Error('cancelled'))
    outer?.addEventListener('abort', onAbort, { once: true })
    let timedOut = false
    const deadline = new Promise<'deadline'>((resolve) => {
      const timer = setTimeout(() => {
        timedOut = true
        controller.abort(new Error('timeout'))
        resolve('deadline')
      }, timeoutMs)
      timer.unref?.()
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve('deadline')
      })
    })
    const signal = controller.signal
    const notes: string[] = []
    try {
      let outcome: RawOutcome | null = null
      const methods = [
        () => viaSimulateV1(p.upstream, { from: p.from, calls: p.calls, nonce: p.nonce }, signal),
        () => viaTraceCall(p.upstream, { from: p.from, calls: p.calls }, signal),
        () => viaEthCall(p.upstream, { from: p.from, calls: p.calls }, signal),
      ]
      const names = ['eth_simulateV1', 'debug_traceCall', 'eth_call']
      for (const [i, method] of methods.entries()) {
        const attempt = method().then(
          (o) => o,
          (err: unknown) => err as Error,
        )
        const answer = await Promise.race([attempt, deadline])
        if (answer === 'deadline') {
          notes.push(
            timedOut
              ? `${names[i]}: no answer within ${timeoutMs} ms (simulation.timeoutMs)`
              : `${names[i]}: cancelled`,
          )
          return notSimulated(notes)
        }
        if (answer instanceof Error) {
          notes.push(`${names[i]}: ${reasonOf(answer)}`)
          continue
        }
        outcome = answer
        break
      }
      if (!outcome) return notSimulated(notes)
      const summary = summarizeOutcome(p.from, outcome)
      const failures = notes.map((n) => `${n}, so ${outcome.by} was used`)
      const enriched = await Promise.race([enrich(p, summary, signal), deadline])
      if (enriched === 'deadline') {
        return {
          ...summary.facts,
          tokenChanges: summary.tokenChanges.map((c) => ({ ...c, symbol: null, decimals: null })),
          approvals: summary.approvals.map((a) => grant(a, null)),
          newRecipients: [],
          notes: [
            ...failures,
            ...summary.facts.notes,
            `token metadata and recipients could not be read within ${timeoutMs} ms`,
          ],
        }
      }
      return { ...enriched, notes: [...failures, ...enriched.notes] }
    } catch (err) {
      // Never thrown at the prompt: an unexpected failure is "not simulated", said so.
      notes.push(`unexpected failure: ${reasonOf(err)}`)
      return notSimulated(notes)
    } finally {
      outer?.removeEventListener('abort', onAbort)
      controller.abort(new Error('done'))
    }
  }

  /** Token metadata (cached, bounded) and the recipients' code. */
  async function enrich(
    p: SimulateParameters,
    summary: Summary,
    signal: AbortSignal,
  ): Promise<SimulationFacts> {
    const tokens = [
      ...new Map(
        [...summary.tokenChanges.map((c) => c.token), ...summary.approvals.map((a) => a.token)].map((t) => [
          t.toLowerCase(),
          t,
        ]),
      ).values(),
    ]
    const candidates = summary.outflowRecipients.filter(
      (r) => !sentTo.has(keyOf(p.upstream.chainId, p.from, r)),
    )
    const recipients = candidates.slice(0, MAX_RECIPIENT_CHECKS)
    const [infos, codes] = await Promise.all([
      Promise.all(tokens.slice(0, MAX_TOKEN_READS).map((t) => tokenInfo.get(p.upstream, t, { signal }))),
      Promise.all(recipients.map((r) => hasCode(p.upstream, r, { signal }))),
    ])
    const byToken = new Map<string, TokenInfo>(infos.map((i) => [i.address.toLowerCase(), i]))
    const tokenChanges: TokenChange[] = summary.tokenChanges.map((c) => {
      const info = byToken.get(c.token.toLowerCase())
      return {
        ...c,
        // An NFT collection without a symbol is shown by its name.
        symbol: c.standard === 'erc20' ? (info?.symbol ?? null) : (info?.symbol ?? info?.name ?? null),
        decimals: c.standard === 'erc20' ? (info?.decimals ?? null) : 0,
      }
    })
    const notes = [...summary.facts.notes]
    if (tokens.length > MAX_TOKEN_READS)
      notes.push(`metadata of ${tokens.length - MAX_TOKEN_READS} tokens was not read (raw units shown)`)
    if (candidates.length > recipients.length)
      notes.push(`only the first ${MAX_RECIPIENT_CHECKS} new recipients were checked for code`)
    if (codes.some((c) => c === null)) notes.push('some recipients could not be checked for code')
    return {
      ...summary.facts,
      tokenChanges,
      approvals: summary.approvals.map((a) => grant(a, byToken.get(a.token.toLowerCase()) ?? null)),
      newRecipients: recipients.filter((_, i) => codes[i] === false),
      notes,
    }
  }

  return {
    simulate,
    /**
     * Records that `from` sent to these addresses on this chain (after a broadcast): they are no
     * longer "new" recipients. Kept in memory only, the most recent `maxRemembered`.
     */
    remember(chainId: number, from: Address, recipients: readonly Address[]): void {
      for (const r of recipients) {
        const key = keyOf(chainId, from, r)
        sentTo.delete(key)
        sentTo.set(key, true)
      }
      while (sentTo.size > maxRemembered) sentTo.delete(sentTo.keys().next().value as string)
    },
  }
}

/** A simulation that could not run, with why. */
export function notSimulated(notes: readonly string[]): SimulationFacts {
  return {
    status: 'not-simulated',
    by: null,
    changesKnown: false,
    nativeChange: null,
    fee: null,
    gasUsed: null,
    calls: [],
    tokenChanges: [],
    approvals: [],
    contractsCreated: [],
    revert: null,
    newRecipients: [],
    notes,
  }
}

function grant(a: Summary['approvals'][number], info: TokenInfo | null): GrantedApproval {
  // ApprovalForAll is the same event in ERC-721 and ERC-1155: the token's ERC-165 answer decides.
  const standard = a.forAll && info?.erc1155 ? 'erc1155' : a.standard
  return {
    standard,
    token: a.token,
    spender: a.spender,
    amount: a.amount,
    tokenId: a.tokenId,
    forAll: a.forAll,
    unlimited:
      a.forAll || (a.amount !== null && a.amount >= (a.standard === 'permit2' ? UNLIMITED_160 : UNLIMITED)),
    deadline: a.expiration,
    symbol:
      standard === 'erc20' || standard === 'permit2'
        ? (info?.symbol ?? null)
        : (info?.symbol ?? info?.name ?? null),
    decimals: standard === 'erc20' || standard === 'permit2' ? (info?.decimals ?? null) : 0,
  }
}

/** One short line for why a step failed (the node's words, bounded; never a URL). */
function reasonOf(err: unknown): string {
  if (err instanceof ChainDisconnectedError) return 'the node did not answer'
  if (err instanceof RpcError) return `the node answered ${err.code}: ${clean(err.shortMessage)}`
  if (err instanceof Error) return clean(err.message)
  return 'unknown error'
}

/** Control and line-separator characters become spaces; at most 200 characters. */
const clean = (text: string) =>
  text
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .trim()
    .slice(0, 200)
