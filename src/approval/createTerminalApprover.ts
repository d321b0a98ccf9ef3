import type { Address } from 'viem'
import { escapeTerminal } from './escapeTerminal.js'
import { renderApprovalRequest } from './renderApprovalRequest.js'
import {
  type ApprovalDecision,
  type ApprovalRequest,
  type Approver,
  DECISION_REASONS,
  type DecisionReason,
} from './types.js'

/** A readable stream of keystrokes or lines: process.stdin (a TTY, put in raw mode) or a PassThrough. */
export type TerminalInput = NodeJS.ReadableStream & {
  isTTY?: boolean
  isRaw?: boolean
  setRawMode?: (mode: boolean) => unknown
  read?: (size?: number) => unknown
}

export type TerminalApproverOptions = {
  input: TerminalInput
  output: NodeJS.WritableStream
  now?: () => number
  /** Keystrokes arriving sooner than this after a prompt appeared are discarded (type-ahead, bait-and-switch). */
  inputDelayMs?: number
  /** Schedules `fn` after `ms` and returns a cancel function (tests pass a fake clock). Default: an unref'd setTimeout. */
  setTimer?: (fn: () => void, ms: number) => () => void
  /** Prompts wait (queued, not shown) until this settles: e.g. a keystore passphrase prompt owns stdin until then. */
  ready?: Promise<unknown>
  /** Ctrl-C at a prompt (raw mode sends no SIGINT): the prompt is rejected, then this runs. */
  onInterrupt?: () => void
}

export type TerminalApprover = Approver & {
  /** Requests queued or shown. */
  readonly pending: number
  /** Rejects everything queued or shown (reason `shutdown`), restores the terminal and stops reading. */
  close(): void
}

/** Longest answer read; a longer line is rejected. */
const MAX_ANSWER = 64
const ANSWER_MARK = 'answer ▸ '

type Entry = {
  request: ApprovalRequest
  signal: AbortSignal
  settle: (decision: ApprovalDecision) => void
}

type Shown = {
  entry: Entry
  shownAt: number
  expected: string
  line: string
  ignored: number
  answerShown: boolean
  cancelTimer: () => void
}

/**
 * The foreground terminal approver of `walletd start`. One prompt at a time: requests queue
 * (FIFO) and are shown one after another. Every untrusted value is escaped (escapeTerminal).
 * Type-ahead is flushed: input is read only while a prompt is shown, whatever was buffered before
 * is discarded, and so is every keystroke that arrives within `inputDelayMs` of the prompt
 * appearing. The default is reject: an empty line, any other answer, Ctrl-D, end of input or an
 * error reject; approving needs `yes` — or, for `eth_sendTransaction` to an address, the last 4
 * hex characters of the recipient. A request whose signal aborts (timeout, connection closed) is
 * removed from the queue or, when shown, marked cancelled; it is never approved. `decide` never
 * throws.
 */
export function createTerminalApprover({
  input,
  output,
  now = Date.now,
  inputDelayMs = 1000,
  setTimer = defaultSetTimer,
  ready,
  onInterrupt,
}: TerminalApproverOptions): TerminalApprover {
  const queue: Entry[] = []
  let shown: Shown | null = null
  let isReady = ready === undefined
  let ended: DecisionReason | null = null
  let closed = false
  let reading = false
  let rawBefore: boolean | null = null

  const onData = (chunk: unknown) => {
    try {
      // Stryker disable next-line ConditionalExpression,StringLiteral: a string passes through a Buffer unchanged; '' is utf8 too
      handleInput(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
    } catch {
      finish({ approved: false, reason: 'error' }, 'rejected (error)')
    }
  }
  const onEnd = () => endInput('eof')
  const onError = () => endInput('error')
  input.on('end', onEnd)
  input.on('error', onError)

  ready?.then(
    () => {
      isReady = true
      pump()
    },
    () => {
      isReady = true
      pump()
    },
  )

  return {
    name: 'terminal',
    get pending() {
      return queue.length + (shown ? 1 : 0)
    },
    decide(request, signal) {
      try {
        if (closed) return Promise.resolve({ approved: false, reason: 'shutdown' })
        // Stryker disable next-line ConditionalExpression: without it, pump() rejects the request with the same reason
        if (ended) return Promise.resolve({ approved: false, reason: ended })
        if (signal.aborted) return Promise.resolve({ approved: false, reason: abortReason(signal) })
        // The approval service blocks these before asking; never offer them anyway.
        if (request.warnings.some((w) => w.level === 'critical'))
          return Promise.resolve({ approved: false, reason: 'blocked' })
        return new Promise<ApprovalDecision>((resolve) => {
          let done = false
          const entry: Entry = {
            request,
            signal,
            settle: (decision) => {
              if (done) return
              done = true
              signal.removeEventListener('abort', onAbort)
              resolve(decision)
            },
          }
          const onAbort = () => cancel(entry)
          signal.addEventListener('abort', onAbort, { once: true })
          queue.push(entry)
          pump()
        })
      } catch {
        return Promise.resolve({ approved: false, reason: 'error' })
      }
    },
    close() {
      // Stryker disable next-line ConditionalExpression: a second close finds nothing to reject or stop
      if (closed) return
      closed = true
      rejectAll('shutdown')
      stopReading()
      input.removeListener('end', onEnd)
      input.removeListener('error', onError)
    },
  }

  function pump(): void {
    if (shown || closed) return
    if (!isReady || ended) {
      // Stryker disable next-line ConditionalExpression: decide() answers after the end before queueing, so nothing waits here
      if (ended) rejectAll(ended)
      return
    }
    const entry = queue.shift()
    if (!entry) {
      stopReading()
      return
    }
    show(entry)
  }

  function show(entry: Entry): void {
    const { request } = entry
    const expected = expectedAnswer(request)
    const rendered = renderApprovalRequest(request, {
      now: now(),
      waiting: queue.length,
      instruction: instructionFor(request, expected),
    })
    if (!rendered.ok) {
      write(
        `\nwalletd: approval request ${escapeTerminal(request.id)} from ${escapeTerminal(request.origin)} is too large to show here: rejected.\n`,
      )
      entry.settle({ approved: false, reason: rendered.reason })
      pump()
      return
    }
    startReading()
    const state: Shown = {
      entry,
      shownAt: now(),
      expected,
      line: '',
      ignored: 0,
      answerShown: false,
      cancelTimer: () => {},
    }
    shown = state
    write(rendered.text)
    state.cancelTimer = setTimer(() => {
      if (shown === state) showAnswerMark(state)
    }, inputDelayMs)
  }

  function showAnswerMark(state: Shown): void {
    if (state.answerShown) return
    state.answerShown = true
    if (state.ignored > 0)
      write(`  (ignored ${state.ignored} characters typed before the prompt could be read)\n`)
    write(ANSWER_MARK)
  }

  function handleInput(text: string): void {
    const state = shown
    // Stryker disable next-line ConditionalExpression: input is read only while a prompt is shown (else the throw ends in onData's catch, a no-op)
    if (!state) return
    // Answers count once the answer mark is up (its timer fired) or the delay has passed by the clock.
    if (!state.answerShown && now() - state.shownAt < inputDelayMs) {
      state.ignored += text.length
      return
    }
    showAnswerMark(state)
    for (const ch of text) {
      // Stryker disable next-line ConditionalExpression: every finish() below is followed by return
      if (shown !== state) return
      if (ch === '\x03') {
        finish({ approved: false, reason: 'interrupted' }, 'rejected (Ctrl-C)')
        // Stryker disable next-line OptionalChaining: without it, the throw ends in onData's catch after the prompt finished
        onInterrupt?.()
        return
      }
      if (ch === '\x04') {
        finish({ approved: false, reason: 'eof' }, 'rejected (Ctrl-D)')
        return
      }
      if (ch === '\r' || ch === '\n') {
        const decision = parseAnswer(state.entry.request, state.expected, state.line)
        finish(decision, decision.approved ? 'approved' : 'rejected')
        return
      }
      if (ch === '\x7f' || ch === '\b') {
        if (state.line.length > 0) {
          state.line = state.line.slice(0, -1)
          if (rawBefore !== null) write('\b \b')
        }
        continue
      }
      state.line += ch
      if (rawBefore !== null) write(escapeTerminal(ch))
      if (state.line.length > MAX_ANSWER) {
        finish({ approved: false, reason: 'rejected' }, 'rejected (answer too long)')
        return
      }
    }
  }

  function finish(decision: ApprovalDecision, note: string): void {
    const state = shown
    if (!state) return
    shown = null
    state.cancelTimer()
    // After the answer mark the cursor is mid-line (raw mode echoes no Enter); before it, at column 0.
    if (state.answerShown) write('\n')
    write(
      `walletd: ${note}: ${escapeTerminal(state.entry.request.method)} request ${escapeTerminal(state.entry.request.id)}\n`,
    )
    state.entry.settle(decision)
    pump()
  }

  function cancel(entry: Entry): void {
    const reason = abortReason(entry.signal)
    if (shown?.entry === entry) {
      finish(
        { approved: false, reason },
        reason === 'withdrawn' ? 'withdrawn (decided elsewhere)' : `cancelled (${reason})`,
      )
      return
    }
    const i = queue.indexOf(entry)
    // Stryker disable next-line ConditionalExpression,UnaryOperator: an entry not shown is queued (settling removes its abort listener)
    if (i !== -1) queue.splice(i, 1)
    entry.settle({ approved: false, reason })
  }

  function endInput(reason: DecisionReason): void {
    if (ended) return
    ended = reason
    // Stryker disable next-line ConditionalExpression: finish() does nothing without a shown prompt
    if (shown)
      finish(
        { approved: false, reason },
        reason === 'eof' ? 'rejected (end of input)' : 'rejected (input error)',
      )
    rejectAll(reason)
    stopReading()
  }

  function rejectAll(reason: DecisionReason): void {
    // Stryker disable next-line ConditionalExpression: finish() does nothing without a shown prompt
    if (shown) finish({ approved: false, reason }, `rejected (${reason})`)
    for (const entry of queue.splice(0)) entry.settle({ approved: false, reason })
  }

  function startReading(): void {
    if (reading) return
    reading = true
    // Discard whatever was typed while no prompt was shown.
    if (typeof input.read === 'function') {
      for (let i = 0; i < 1024 && input.read() !== null; i++) {}
    }
    if (input.isTTY && typeof input.setRawMode === 'function') {
      rawBefore = input.isRaw === true
      input.setRawMode(true)
    }
    input.on('data', onData)
    input.resume()
  }

  function stopReading(): void {
    // Stryker disable next-line ConditionalExpression: stopping again removes and pauses nothing new
    if (!reading) return
    reading = false
    input.removeListener('data', onData)
    input.pause()
    if (rawBefore !== null) {
      try {
        // Stryker disable next-line OptionalChaining: rawBefore is set only when setRawMode exists
        input.setRawMode?.(rawBefore)
      } catch {}
      rawBefore = null
    }
  }

  function write(text: string): void {
    try {
      output.write(text)
    } catch {}
  }
}

/**
 * `yes`, or for a transaction the last 4 hex characters (lowercase) of who receives: the address a
 * decoded token call names (recipient, spender, operator), else the transaction's recipient.
 */
export function expectedAnswer(request: ApprovalRequest): string {
  if (request.answer !== 'recipient' || request.facts.kind !== 'transaction') return 'yes'
  // A token call's recipient or spender is who gets the value, not the token contract.
  const to = request.facts.decoded?.counterparty ?? request.facts.to
  return to !== null && /^0x[0-9a-fA-F]{40}$/.test(to) ? to.slice(-4).toLowerCase() : 'yes'
}

function instructionFor(request: ApprovalRequest, expected: string): string {
  if (request.choices)
    return 'Type yes to connect the default account(s) marked *, or the numbers of the accounts to connect (e.g. 2 or 1,3). Enter, anything else or Ctrl-D rejects.'
  return expected === 'yes'
    ? 'Type yes to approve. Enter, anything else or Ctrl-D rejects.'
    : request.facts.kind === 'transaction' && request.facts.decoded?.counterparty
      ? `To send, type the last 4 characters of the address the call names (${request.facts.decoded.name}: ${request.facts.decoded.counterparty}). Enter, anything else or Ctrl-D rejects.`
      : 'To send, type the last 4 characters of the recipient address (to). Enter, anything else or Ctrl-D rejects.'
}

/**
 * The typed answer as a decision. Approving needs the exact expected answer; a connect request
 * also takes account numbers from the list shown (1-based; `1,3` or `1 3`). Anything else rejects.
 */
export function parseAnswer(request: ApprovalRequest, expected: string, line: string): ApprovalDecision {
  const answer = line.trim().toLowerCase()
  if (answer === expected) return { approved: true }
  if (request.choices && /^\d{1,3}([ ,]+\d{1,3})*$/.test(answer)) {
    const offered = request.choices.accounts
    const picked: Address[] = []
    for (const n of answer.split(/[ ,]+/).map(Number)) {
      const account = offered[n - 1]
      if (!account) return { approved: false, reason: 'rejected' }
      if (!picked.includes(account)) picked.push(account)
    }
    return { approved: true, accounts: picked }
  }
  return { approved: false, reason: 'rejected' }
}

function abortReason(signal: AbortSignal): DecisionReason {
  const reason = signal.reason
  const text = reason instanceof Error ? reason.message : ''
  return (DECISION_REASONS as readonly string[]).includes(text) ? (text as DecisionReason) : 'cancelled'
}

function defaultSetTimer(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms)
  t.unref()
  return () => clearTimeout(t)
}
