import { randomBytes } from 'node:crypto'
import { connect as netConnect } from 'node:net'
import fc from 'fast-check'
import type { Address } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import type { ApprovalDecision, ApprovalKind, ApprovalRequest, Approver } from '../../src/approval/types.js'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { createMethodTable } from '../../src/rpc/methods/index.js'
import {
  frameArb,
  HOSTILE_METHODS,
  httpRequestArb,
  rawFrameArb,
  SIGNING_METHODS,
} from '../helpers/fuzzArbitraries.js'
import { devSigner, startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * Property-based fuzzing of everything a page or a local process can send walletd, against a
 * whole daemon on its own real Anvil: JSON-RPC envelopes and params for every method in the
 * daemon's table (and hostile names), raw frame bytes, HTTP request targets and headers.
 *
 * Properties, for every case: the daemon keeps running and answering; every request gets one
 * well-formed JSON-RPC response with its own id (null only where the spec says so); a valid
 * notification gets none; no signature or sent transaction without an approval that said yes in
 * that very case; no stack trace, file path or token in any response or log line.
 *
 * In the normal suite: a fixed seed and a bounded number of cases. `npm run fuzz` runs many more
 * (FUZZ_RUNS, default 20000 there; FUZZ_SEED) and prints the cases run and the failures.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500)
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_012)
const share = (f: number) => Math.max(20, Math.round(RUNS * f))

const SIGNING_KINDS: readonly ApprovalKind[] = ['message', 'typedData', 'transaction', 'calls']
const table = createMethodTable()
const METHODS = [...table.keys()]
const SIGNING = new Set(
  [...table.values()]
    .filter((m) => m.approval && SIGNING_KINDS.includes(m.approval.kind))
    .map((m) => m.method),
)

/** An approver that decides what the current case says, and records every decision. */
function caseApprover() {
  const decisions: Array<{ method: string; approved: boolean }> = []
  const approver: Approver & { approve: boolean; decisions: typeof decisions } = {
    name: 'fuzz',
    instant: true,
    approve: false,
    decisions,
    async decide(request: ApprovalRequest): Promise<ApprovalDecision> {
      const approved = approver.approve
      decisions.push({ method: request.method, approved })
      if (!approved) return { approved: false, reason: 'rejected' }
      return request.choices
        ? { approved: true, accounts: [...request.choices.accounts] }
        : { approved: true }
    },
  }
  return approver
}

const approver = caseApprover()
let anvil: AnvilInstance
let d: TestDaemon
let accounts: Address[]
let logCursor = 0
const stats = { cases: 0, signedWithYes: 0, replies: new Map<string, number>() }

/** What must never appear in a response or a log line. */
function leaks(text: string): string | null {
  if (d.token && text.includes(d.token)) return 'the host token'
  if (d.token && text.includes(d.token.slice(4))) return 'the token body'
  if (/\n\s+at .+:\d+:\d+/.test(text) || /"stack"\s*:\s*"[^"]/.test(text)) return 'a stack trace'
  if (/(?:\/work\/|\/home\/|\/tmp\/|\/usr\/|node_modules|file:\/\/\/)/.test(text)) return 'a file path'
  if (/\b(?:TypeError|RangeError|ReferenceError|SyntaxError): /.test(text)) return 'an internal error text'
  return null
}

/** New log lines since the last case must be clean too. */
function checkLogs(): void {
  const lines = d.logText().split('\n')
  const fresh = lines.slice(logCursor)
  logCursor = lines.length
  for (const line of fresh) {
    const leak = leaks(line)
    if (leak) throw new Error(`${leak} in a log line: ${line.slice(0, 500)}`)
  }
}

type Reply = {
  jsonrpc?: unknown
  id?: unknown
  result?: unknown
  error?: { code?: unknown; message?: unknown }
}

function checkReply(r: unknown): Reply {
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw new Error(`not a response object: ${JSON.stringify(r)}`)
  const reply = r as Reply & Record<string, unknown>
  if (reply.jsonrpc !== '2.0') throw new Error(`jsonrpc is not "2.0": ${JSON.stringify(r)}`)
  if (!('id' in reply)) throw new Error(`no id: ${JSON.stringify(r)}`)
  if ('result' in reply === 'error' in reply)
    throw new Error(`not exactly one of result/error: ${JSON.stringify(r)}`)
  if (reply.error) {
    const e = reply.error as Record<string, unknown>
    if (!Number.isInteger(e.code) || typeof e.message !== 'string')
      throw new Error(`malformed error: ${JSON.stringify(r)}`)
    const extra = Object.keys(e).filter((k) => !['code', 'message', 'data'].includes(k))
    if (extra.length) throw new Error(`error carries ${extra.join(', ')}`)
  }
  const key = reply.error ? String(reply.error.code) : 'result'
  stats.replies.set(key, (stats.replies.get(key) ?? 0) + 1)
  return reply
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
/** An envelope walletd must run (a valid request, or a notification when it has no id). */
const isValidEnvelope = (v: unknown) =>
  isPlainObject(v) &&
  v.jsonrpc === '2.0' &&
  typeof v.method === 'string' &&
  v.method.length > 0 &&
  v.method.length <= 128 &&
  (v.params === undefined || (typeof v.params === 'object' && v.params !== null))
/** An id that must be echoed exactly. */
const isPlainId = (id: unknown) =>
  (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isSafeInteger(id))

/** The position of element `i`'s answer in a batch answer (elements that are valid notifications get none). */
function answeredIndex(batch: unknown[], i: number): number {
  const answered = (e: unknown) => !isValidEnvelope(e) || 'id' in (e as object)
  return answered(batch[i]) ? batch.slice(0, i).filter(answered).length : -1
}

/** A WebSocket with a queue of answers (server pushes put aside). */
async function openClient() {
  const ws = new WebSocket(d.wsUrl, ['walletd.v1', `walletd.token.${d.token}`], {
    headers: { origin: TEST_ORIGIN },
    perMessageDeflate: false,
  })
  const queue: string[] = []
  let wake: (() => void) | null = null
  let closed: { code: number } | null = null
  ws.on('message', (data, isBinary) => {
    const text = String(data)
    if (isBinary) throw new Error('a binary frame from walletd')
    const leak = leaks(text)
    if (leak) queue.push(`LEAK ${leak}: ${text.slice(0, 300)}`)
    else {
      const msg = JSON.parse(text) as Record<string, unknown>
      if (isPlainObject(msg) && typeof msg.method === 'string' && !('id' in msg)) return // a push
      queue.push(text)
    }
    wake?.()
  })
  ws.on('close', (code) => {
    closed = { code }
    wake?.()
  })
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  })
  const next = async (timeoutMs = 20_000): Promise<string | { closed: number }> => {
    const deadline = Date.now() + timeoutMs
    while (queue.length === 0) {
      if (closed) return { closed: (closed as { code: number }).code }
      if (Date.now() > deadline) throw new Error('no answer in time')
      await new Promise<void>((r) => {
        wake = r
        setTimeout(r, 50)
      })
      wake = null
    }
    const text = queue.shift()!
    if (text.startsWith('LEAK ')) throw new Error(text)
    return text
  }
  const call = async (method: string, params: unknown[] = []) => {
    const id = `setup-${randomBytes(4).toString('hex')}`
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    const reply = await next()
    if (typeof reply !== 'string') throw new Error(`closed ${reply.closed} during setup`)
    return JSON.parse(reply) as Reply
  }
  /** Sends a sentinel request and returns every answer that came before its own. */
  const settle = async (): Promise<string[]> => {
    if (closed) return []
    const sentinel = `sentinel-${randomBytes(4).toString('hex')}`
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'eth_chainId' }))
    const extra: string[] = []
    for (;;) {
      const got = await next()
      if (typeof got !== 'string') return extra
      if ((JSON.parse(got) as Reply).id === sentinel) return extra
      extra.push(got)
    }
  }
  return { ws, next, call, settle, isClosed: () => closed !== null }
}

let client: Awaited<ReturnType<typeof openClient>>

beforeAll(async () => {
  anvil = await startAnvil({ port: 0, quiet: true })
  d = await startTestDaemon({
    approver,
    signer: devSigner(3),
    upstreamUrl: anvil.wsUrl,
    config: {
      rateLimit: { enabled: false },
      approval: { cooldownAfter: 1_000_000 },
      simulation: { timeoutMs: 500 },
      server: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
    },
  })
  accounts = [...devSigner(3).accounts()]
  client = await openClient()
  logCursor = d.logText().split('\n').length // start-up lines name the data dir: that is fine
}, 60_000)

afterAll(async () => {
  client?.ws.close()
  await d?.close()
  await anvil?.stop()
  console.log(
    `fuzz: ${stats.cases} cases (seed ${SEED}); ${stats.signedWithYes} signatures/sends, each after a yes; replies by code: ${JSON.stringify(Object.fromEntries(stats.replies))}`,
  )
})

/** Runs a property, prints what it did, and fails with the counterexample. */
async function run<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  numRuns: number,
  body: (value: T) => Promise<void>,
) {
  const details = await fc.check(
    fc.asyncProperty(arb, async (value) => {
      stats.cases++
      await body(value)
    }),
    { numRuns, seed: SEED, endOnFailure: false, markInterruptAsFailure: true },
  )
  console.log(
    `fuzz ${name}: ${details.numRuns} cases run, ${details.failed ? `FAILED after ${details.numShrinks} shrinks` : 'no failure'}`,
  )
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
    throw new Error(`${fc.defaultReportMessage(details) ?? 'failed'}\nGot: ${cause}`)
  }
  // After every property: still alive, still ready, and the upstream Anvil too.
  expect((await fetch(`${d.baseUrl}/healthz`)).status).toBe(200)
  expect((await fetch(`${d.baseUrl}/readyz`)).status).toBe(200)
}

const timeoutFor = (runs: number) => Math.max(60_000, runs * 100)

async function ensureClient() {
  if (client.isClosed()) client = await openClient()
  approver.approve = true
  const granted = await client.call('eth_requestAccounts')
  if (!Array.isArray(granted.result)) throw new Error(`re-grant failed: ${JSON.stringify(granted)}`)
}

describe('fuzzing the JSON-RPC surface (fast-check, fixed seed)', () => {
  test('the method list is the daemon table plus hostile names', () => {
    expect(METHODS).toContain('personal_sign')
    expect(SIGNING).toEqual(new Set(SIGNING_METHODS))
    for (const m of HOSTILE_METHODS) expect(table.has(m)).toBe(false)
  })

  test(
    'envelopes and params over WebSocket: one well-formed answer per request, no signature without a yes',
    async () => {
      await run('ws requests', frameArb(METHODS, accounts), share(0.5), async ({ body, approve }) => {
        await ensureClient()
        approver.approve = approve
        const before = approver.decisions.length
        const requests = Array.isArray(body) ? body : [body]
        const frame = JSON.stringify(body) ?? 'null'
        // Who must be answered: every element with an id; an invalid one may be answered with id null.
        const mustAnswer = Array.isArray(body)
          ? body.length === 0 || body.some((e) => !isValidEnvelope(e) || 'id' in (e as object))
          : !isValidEnvelope(body) || 'id' in (body as object)
        client.ws.send(frame)
        let replies: Reply[] = []
        if (mustAnswer) {
          const got = await client.next()
          if (typeof got !== 'string') throw new Error(`socket closed (${got.closed}) instead of an answer`)
          const parsed = JSON.parse(got) as unknown
          replies = (Array.isArray(parsed) ? parsed : [parsed]).map(checkReply)
          if (Array.isArray(body) && body.length > 0 && Array.isArray(parsed)) {
            const expected = body.filter((e) => !isValidEnvelope(e) || 'id' in (e as object)).length
            if (replies.length !== expected)
              throw new Error(`${replies.length} answers for ${expected} requests`)
          }
        }
        // Nothing else comes back (a valid notification gets no answer): a sentinel proves it.
        const extra = await client.settle()
        if (extra.length) throw new Error(`unexpected answers: ${extra.join(' | ').slice(0, 500)}`)
        // Ids: a single request's answer carries its id (null only when the request was invalid).
        if (!Array.isArray(body) && mustAnswer) {
          const sent = JSON.parse(frame) as unknown
          const reply = replies[0]!
          if (isValidEnvelope(sent) && isPlainId((sent as { id: unknown }).id)) {
            if (reply.id !== (sent as { id: unknown }).id)
              throw new Error(
                `id ${JSON.stringify(reply.id)} for ${JSON.stringify((sent as { id: unknown }).id)}`,
              )
          } else if (reply.id !== null && reply.id !== (sent as { id?: unknown })?.id) {
            throw new Error(`id ${JSON.stringify(reply.id)} for an invalid request`)
          }
        }
        // No signature, no sent transaction without a yes in this case.
        const decided = approver.decisions.slice(before)
        for (const [i, req] of requests.entries()) {
          if (!isPlainObject(req) || !SIGNING.has(req.method as string)) continue
          // A batch is answered in order, one answer per element that is not a valid notification.
          const reply = Array.isArray(body) ? replies[answeredIndex(body, i)] : replies[0]
          if (!reply || !('result' in reply)) continue
          const yes = decided.some((x) => x.method === req.method && x.approved)
          if (!yes)
            throw new Error(`element ${i}: ${String(req.method)} answered a result without an approval`)
          stats.signedWithYes++
        }
        if (!approve && decided.some((x) => x.approved)) throw new Error('an approval nobody gave')
        checkLogs()
      })
    },
    timeoutFor(share(0.5)),
  )

  test(
    'raw frame bytes: an error answer or a close with its code; never a crash',
    async () => {
      await run('raw frames', rawFrameArb, share(0.2), async ({ bytes, binary }) => {
        if (client.isClosed()) client = await openClient()
        client.ws.send(bytes, { binary })
        const got = await client.next()
        if (typeof got === 'string') {
          const reply = checkReply(JSON.parse(got))
          if (!reply.error) throw new Error(`garbage got a result: ${got}`)
        } else if (![1007, 1008, 1009].includes(got.closed)) {
          throw new Error(`closed with ${got.closed}`)
        }
        const extra = await client.settle()
        if (extra.length) throw new Error(`unexpected answers: ${extra.join(' | ').slice(0, 500)}`)
        checkLogs()
      })
    },
    timeoutFor(share(0.2)),
  )

  test(
    'HTTP request targets, methods and headers on raw sockets: a status, no leak, still serving',
    async () => {
      await run('http requests', httpRequestArb, share(0.3), async (req) => {
        const host =
          req.hostKind === 'good' ? `127.0.0.1:${d.port}` : req.hostKind === 'evil' ? 'evil.example' : null
        const lines = [`${req.method} ${req.target} HTTP/1.1`]
        if (host) lines.push(`Host: ${host}`)
        if (req.withToken) lines.push(`Authorization: Bearer ${d.token}`)
        for (const [k, v] of req.headers) if (k.toLowerCase() !== 'host' || !host) lines.push(`${k}: ${v}`)
        const hasLength = req.headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k))
        if (req.body && !hasLength) lines.push(`Content-Length: ${Buffer.byteLength(req.body)}`)
        const raw = `${lines.join('\r\n')}\r\n\r\n${req.body}`
        const text = await new Promise<string>((resolve, reject) => {
          const sock = netConnect(d.port, '127.0.0.1')
          let out = ''
          const timer = setTimeout(() => {
            sock.destroy()
            reject(new Error(`no end within 8 s: ${JSON.stringify(raw.slice(0, 300))}`))
          }, 8000)
          sock.on('data', (b) => {
            out += b.toString('latin1')
          })
          sock.on('error', () => {})
          sock.on('close', () => {
            clearTimeout(timer)
            resolve(out)
          })
          sock.end(raw)
        })
        if (text) {
          if (!/^HTTP\/1\.1 [1-5]\d\d /.test(text))
            throw new Error(`not an HTTP answer: ${text.slice(0, 200)}`)
          if (/^HTTP\/1\.1 5\d\d /.test(text)) throw new Error(`a server error: ${text.slice(0, 300)}`)
          const leak = leaks(text.replace(/^Date: .*$/m, ''))
          if (leak) throw new Error(`${leak} in an HTTP answer: ${text.slice(0, 300)}`)
          if (
            /access-control-allow-origin: (?!https:\/\/app\.example)/i.test(text) &&
            /\/(?:health|metrics)/.test(req.target)
          )
            throw new Error(`CORS granted: ${text.slice(0, 300)}`)
        }
        checkLogs()
      })
    },
    timeoutFor(share(0.3)),
  )
})
