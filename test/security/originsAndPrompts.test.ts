import { PassThrough, Writable } from 'node:stream'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createTerminalApprover } from '../../src/approval/createTerminalApprover.js'
import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Who is asking, and how the asking can be abused (security.md §7 items 6, 7, 30, 32, 36, 49),
 * against a whole daemon over real sockets: the origin comes from the handshake header only, is
 * normalised and exact-matched; a flood gets one prompt; page-chosen text cannot forge terminal
 * output; a revoke takes effect on the open socket.
 */
const a0 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })

/** A person who approves connects, and holds every other request until told (records everything). */
function holdingApprover() {
  const seen: ApprovalRequest[] = []
  const held: Array<(d: ApprovalDecision) => void> = []
  const approver: Approver & { seen: ApprovalRequest[]; held: typeof held; rejectHeld(): void } = {
    name: 'person',
    instant: false,
    seen,
    held,
    rejectHeld() {
      for (const settle of held.splice(0)) settle({ approved: false, reason: 'rejected' })
    },
    decide(request, signal) {
      seen.push(request)
      if (request.choices)
        return Promise.resolve({ approved: true, accounts: [request.choices.accounts[0]!] })
      return new Promise((resolve) => {
        held.push(resolve)
        signal.addEventListener('abort', () => resolve({ approved: false, reason: 'cancelled' }), {
          once: true,
        })
      })
    },
  }
  return approver
}

/** Waits for a condition the daemon makes true (bounded). */
async function until(cond: () => boolean) {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}

describe('origins', () => {
  const approver = holdingApprover()
  let d: TestDaemon
  beforeAll(async () => {
    d = await startTestDaemon({
      approver,
      config: {
        approval: { maxPending: 4, cooldownAfter: 1000 },
        // Not the in-flight cap (its own test): every one of the 1,000 reaches the approval queue.
        connections: { maxInFlightPerConnection: 1024 },
        rateLimit: { enabled: false },
      },
    })
  })
  afterAll(async () => {
    approver.rejectHeld()
    await d?.close()
  })
  beforeEach(() => {
    approver.rejectHeld()
    approver.seen.length = 0
  })

  test('7: an origin smuggled in the payload (origin, _origin, __frameOrigin) is ignored', async () => {
    const c = await d.connect({ origin: 'https://honest.example' })
    const smuggled = { origin: TEST_ORIGIN, _origin: TEST_ORIGIN, __frameOrigin: TEST_ORIGIN }
    const res = (await c.raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_requestAccounts',
        ...smuggled,
      }),
    )) as { result?: unknown; error?: unknown }
    expect(res.result).toEqual([a0.address.toLowerCase()])
    // In params too: personal_sign ignores a third param, whatever it carries.
    const sign = c.call('personal_sign', ['0x6869', a0.address, smuggled])
    await until(() => approver.seen.length === 2)
    approver.rejectHeld()
    expect((await sign).error?.code).toBe(4001)
    expect(approver.seen.map((r) => r.origin)).toEqual(['https://honest.example', 'https://honest.example'])
    // The grant went to the handshake's origin only.
    const app = await d.connect({ origin: TEST_ORIGIN })
    expect((await app.call('eth_accounts')).result).toEqual([])
    await app.close()
    await c.close()
  })

  test('6: look-alike origins never share a grant; equal ones after normalisation do', async () => {
    const owner = await d.connect({ origin: 'https://app.uniswap.example' })
    expect((await owner.call('eth_requestAccounts')).result).toEqual([a0.address.toLowerCase()])
    for (const lookAlike of [
      'https://app.uniswap.example.evil.example',
      'https://app-uniswap.example',
      'https://app.uniswap.example:8443',
      'https://xn--pp-uniswap-2ic.example',
    ]) {
      const c = await d.connect({ origin: lookAlike })
      expect((await c.call('eth_accounts')).result, lookAlike).toEqual([])
      await c.close()
    }
    // Upper case and the default port are the same origin (normalised, then compared exactly).
    for (const same of ['HTTPS://APP.UNISWAP.EXAMPLE', 'https://app.uniswap.example:443']) {
      const c = await d.connect({ origin: same })
      expect((await c.call('eth_accounts')).result, same).toEqual([a0.address.toLowerCase()])
      await c.close()
    }
    // A trailing dot or userinfo is not normalised away: refused before the upgrade.
    for (const refused of ['https://app.uniswap.example.', 'https://user@app.uniswap.example']) {
      await expect(d.connect({ origin: refused })).rejects.toMatchObject({ statusCode: 403 })
    }
    await owner.close()
  })

  test('49: an IDN origin is shown to the approver in punycode', async () => {
    // Latin-1 on the wire (what a raw client can put in a header); a browser sends punycode itself.
    const c = await d.connect({ origin: 'https://bücher.example' })
    expect((await c.call('eth_requestAccounts')).result).toEqual([a0.address.toLowerCase()])
    expect(approver.seen.map((r) => r.origin)).toEqual(['https://xn--bcher-kva.example'])
    await c.close()
  })

  test('30: 1,000 sends at once from one origin: one prompt, the rest -32002; the global cap holds', async () => {
    const c = await d.connect({ origin: 'https://flood.example' })
    expect((await c.call('eth_requestAccounts')).result).toEqual([a0.address.toLowerCase()])
    approver.seen.length = 0
    const calls = Array.from({ length: 1000 }, (_, i) =>
      c.call('personal_sign', [`0x${Buffer.from(`flood ${i}`).toString('hex')}`, a0.address]),
    )
    // One is being asked (held, so unanswered); the 999 others are answered at once.
    const answered: Array<{ result?: unknown; error?: { code: number } }> = []
    for (const p of calls) p.then((r) => answered.push(r))
    await until(() => answered.length === 999)
    expect(answered.filter((r) => r.error?.code === -32002)).toHaveLength(999)
    expect(approver.seen).toHaveLength(1)
    approver.rejectHeld()
    const all = await Promise.all(calls)
    expect(all.filter((r) => r.error?.code === 4001)).toHaveLength(1)
    expect(all.some((r) => r.result !== undefined)).toBe(false)
    // Other origins each get their own prompt, up to approval.maxPending (4) in all.
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => d.connect({ origin: `https://other${i}.example` })),
    )
    for (const o of others) await o.call('eth_requestAccounts')
    approver.seen.length = 0
    const pending = others.map((o) => o.call('personal_sign', ['0x6869', a0.address]))
    const overCap = await Promise.race(pending)
    expect(overCap.error).toMatchObject({
      code: -32002,
      message: expect.stringMatching(/Too many approval requests/),
    })
    await until(() => approver.seen.length === 4)
    approver.rejectHeld()
    for (const r of await Promise.all(pending)) expect(r.result).toBeUndefined()
    for (const o of others) await o.close()
    await c.close()
  }, 30_000)
})

describe('36: a revoke reaches the open socket', () => {
  const approver = holdingApprover()
  let d: TestDaemon
  let c: RpcClient
  beforeAll(async () => {
    d = await startTestDaemon({ approver })
    c = await d.connect()
  })
  afterAll(async () => {
    approver.rejectHeld()
    await c?.close()
    await d?.close()
  })

  test('the next request is refused (4100), accounts are gone, subscriptions torn down', async () => {
    expect((await c.call('eth_requestAccounts')).result).toEqual([a0.address.toLowerCase()])
    const sub = await c.call('eth_subscribe', ['newHeads'])
    expect(typeof sub.result).toBe('string')
    expect(d.daemon.services.sessions.revoke(TEST_ORIGIN)).toBe(true)
    const seenBefore = approver.seen.length
    expect((await c.call('eth_accounts')).result).toEqual([])
    expect((await c.call('personal_sign', ['0x6869', a0.address])).error?.code).toBe(4100)
    expect(approver.seen.length).toBe(seenBefore)
    // The subscription was dropped with the grant: unsubscribing finds nothing.
    expect((await c.call('eth_unsubscribe', [sub.result])).result).toBe(false)
  })
})

describe('32: terminal escapes in what a page controls', () => {
  let d: TestDaemon
  let c: RpcClient
  const input = new PassThrough()
  let screen = ''
  const output = new Writable({
    write(chunk, _enc, cb) {
      screen += String(chunk)
      cb()
    },
  })
  const terminal = createTerminalApprover({ input, output, inputDelayMs: 0 })
  beforeAll(async () => {
    d = await startTestDaemon({ approver: terminal })
    c = await d.connect()
  })
  afterAll(async () => {
    terminal.close()
    await c?.close()
    await d?.close()
  })

  const waitForScreen = (text: string) => until(() => screen.includes(text))

  test('ANSI, \\r, bidi overrides and zero-width characters are shown escaped; no fake "Approved" line', async () => {
    const connect = c.call('eth_requestAccounts')
    await waitForScreen('answer')
    input.write('yes\n')
    expect((await connect).result).toEqual([a0.address.toLowerCase()])
    screen = ''
    const hostile =
      'Harmless\x1b[2K\r\x1b[32m✔ Approved\x1b[0m\n\x1b[1A\x1b]0;title\x07\u202eevil\u200b\u2066x\u2069 \x9b31m'
    const sign = c.call('personal_sign', [`0x${Buffer.from(hostile).toString('hex')}`, a0.address])
    await waitForScreen('answer')
    input.write('no\n')
    const res = await sign
    expect(res.error?.code).toBe(4001)
    expect(res.result).toBeUndefined()
    expect(screen).toContain('Harmless')
    // The page's bytes are visible as escapes, none reaches the terminal raw.
    for (const raw of [
      '\x1b[2K',
      '\x1b[32m',
      '\x1b[1A',
      '\x1b]0;',
      '\x07',
      '\u202e',
      '\u200b',
      '\u2066',
      '\x9b',
    ]) {
      expect(screen.includes(raw), JSON.stringify(raw)).toBe(false)
    }
    expect(screen).not.toMatch(/\r(?!\n)/)
    expect(screen).toMatch(/\\x1b|\\u001b|\\e/i)
  })
})
