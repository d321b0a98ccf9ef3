import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { canonicalJson } from './canonicalJson.js'
import { createAuditLog } from './createAuditLog.js'
import { verifyAuditLog } from './verifyAuditLog.js'

let dir: string
let file: string
let headFile: string
let t = 1_700_000_000_000
const now = () => (t += 1000)

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'walletd-audit-'))
  file = join(dir, 'audit.jsonl')
  headFile = join(dir, 'audit.head')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function writeFive() {
  const log = createAuditLog({ file, headFile, now })
  for (let i = 1; i <= 5; i++) log.record({ type: 'grant', origin: `https://s${i}.example`, accounts: [] })
  log.close()
}
const lines = () => readFileSync(file, 'utf8').split('\n').slice(0, -1)
const rewrite = (ls: string[]) => writeFileSync(file, ls.map((l) => `${l}\n`).join(''))

describe('the audit log', () => {
  test('a chain of canonical lines, 0600, that verifies; the head matches', () => {
    writeFive()
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(headFile).mode & 0o777).toBe(0o600)
    const ls = lines()
    expect(ls).toHaveLength(5)
    const first = JSON.parse(ls[0]!)
    expect(first).toMatchObject({ seq: 1, type: 'grant', prev: '0'.repeat(64), origin: 'https://s1.example' })
    expect(JSON.parse(ls[1]!).prev).toBe(first.hash)
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 5, head: 'matches' })
  })

  test('an edited line is named', () => {
    writeFive()
    const ls = lines()
    ls[2] = ls[2]!.replace('s3.example', 's9.example')
    rewrite(ls)
    expect(verifyAuditLog(file, headFile)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringContaining('edited'),
    })
  })

  test('a removed line is named (the one after the gap)', () => {
    writeFive()
    const ls = lines()
    ls.splice(1, 1)
    rewrite(ls)
    expect(verifyAuditLog(file, headFile)).toMatchObject({
      ok: false,
      line: 2,
      reason: expect.stringContaining('removed or reordered'),
    })
  })

  test('reordered lines are named', () => {
    writeFive()
    const ls = lines()
    ;[ls[3], ls[4]] = [ls[4]!, ls[3]!]
    rewrite(ls)
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: false, line: 4 })
  })

  test('lines removed at the end show through the head; without the head they cannot', () => {
    writeFive()
    rewrite(lines().slice(0, 4))
    expect(verifyAuditLog(file, headFile)).toMatchObject({
      ok: false,
      line: 5,
      reason: expect.stringContaining('removed at the end'),
    })
    expect(verifyAuditLog(file)).toMatchObject({ ok: true, lines: 4, head: 'missing' })
  })

  test('the first line removed: the chain does not start', () => {
    writeFive()
    rewrite(lines().slice(1))
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: false, line: 1 })
  })

  test('a torn last line is reported; the next start sets it aside and continues the chain', () => {
    writeFive()
    appendFileSync(file, '{"seq":6,"type":"gra')
    expect(verifyAuditLog(file, headFile)).toMatchObject({
      ok: false,
      line: 6,
      reason: expect.stringContaining('cut short'),
    })
    const log = createAuditLog({ file, headFile, now })
    log.record({ type: 'revoke', origin: 'https://s1.example' })
    log.close()
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 7 })
    const ls = lines().map((l) => JSON.parse(l))
    expect(ls[5]).toMatchObject({ seq: 6, type: 'recovered', tornBytes: 20 })
    expect(readFileSync(ls[5].savedTo, 'utf8')).toBe('{"seq":6,"type":"gra')
    expect(ls[6]).toMatchObject({ seq: 7, type: 'revoke', prev: ls[5].hash })
  })

  test('a log whose last line does not verify is set aside whole; a new chain starts and names it', () => {
    writeFive()
    const ls = lines()
    ls[4] = ls[4]!.replace('s5.example', 'evil.example')
    rewrite(ls)
    const log = createAuditLog({ file, headFile, now })
    log.close()
    const broken = readdirSync(dir).find((f) => f.startsWith('audit.jsonl.broken-'))
    expect(broken).toBeDefined()
    const [first] = lines().map((l) => JSON.parse(l))
    expect(first).toMatchObject({ seq: 1, type: 'restarted', previousFile: join(dir, broken!) })
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 1 })
    expect(verifyAuditLog(join(dir, broken!))).toMatchObject({ ok: false, line: 5 })
  })

  test('a restart continues the chain of a whole log', () => {
    writeFive()
    const log = createAuditLog({ file, headFile, now })
    expect(log.seq).toBe(5)
    log.record({ type: 'started', pid: 1 })
    log.close()
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 6, head: 'matches' })
  })

  test('long strings are digested; control and bidi characters never reach a line raw', () => {
    const log = createAuditLog({ file, headFile, now })
    log.record({ type: 'approval', text: 'a\u202eb\u001bc', data: `0x${'ab'.repeat(2000)}` })
    log.close()
    const [line] = lines()
    expect(line).not.toContain('\u202e')
    expect(line).not.toContain('\u001b')
    expect(line).toContain('\\u202e')
    const parsed = JSON.parse(line!)
    expect(parsed.text).toBe('a\u202eb\u001bc')
    expect(parsed.data).toMatch(/^sha256:[0-9a-f]{64}:4002$/)
    expect(canonicalJson(parsed)).toBe(line)
    expect(verifyAuditLog(file, headFile).ok).toBe(true)
  })
})

/** An fdatasync the test completes by hand: `pending` lists the calls not yet done. */
function heldSync() {
  const pending: { fd: number; done: (err: Error | null) => void }[] = []
  return {
    pending,
    sync: (fd: number, done: (err: Error | null) => void) => {
      pending.push({ fd, done })
    },
    /** Completes the oldest sync (with `err`, if given). */
    finish(err: Error | null = null) {
      pending.shift()!.done(err)
    },
  }
}

/** Whether each promise settled, checked after the microtasks now queued have run. */
async function settledFlags(promises: Promise<void>[], flags: boolean[]) {
  promises.forEach((p, i) => {
    void p.then(() => {
      flags[i] = true
    })
  })
  await Promise.resolve()
}

describe('group commit: lines written at once, synced together', () => {
  test('records made while a sync runs share the next fdatasync; each waiter is released by the sync that covers its line; every line is chained on disk', async () => {
    const held = heldSync()
    const log = createAuditLog({ file, headFile, now, sync: held.sync, syncDelayMs: 60_000 })
    const waits: Promise<void>[] = []
    log.record({ type: 'signature', approvalId: 'a1', signature: '0x1' })
    waits.push(log.synced())
    expect(held.pending).toHaveLength(1)
    for (let i = 2; i <= 4; i++) {
      log.record({ type: 'signature', approvalId: `a${i}`, signature: `0x${i}` })
      waits.push(log.synced())
    }
    // Written and chained at once (the file and the head), before any sync completes; one sync runs.
    expect(lines()).toHaveLength(4)
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 4, head: 'matches' })
    expect(held.pending).toHaveLength(1)
    expect(log.syncedSeq).toBe(0)
    const flags = [false, false, false, false]
    await settledFlags(waits, flags)
    expect(flags).toEqual([false, false, false, false])
    held.finish()
    await waits[0]
    await settledFlags(waits, flags)
    expect(flags).toEqual([true, false, false, false])
    expect(log.syncedSeq).toBe(1)
    // The three lines written while the first sync ran: one more sync covers them all.
    expect(held.pending).toHaveLength(1)
    held.finish()
    await Promise.all(waits)
    expect(log.syncedSeq).toBe(4)
    expect(held.pending).toHaveLength(0)
    log.close()
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 4, head: 'matches' })
    expect(lines().map((l) => JSON.parse(l).approvalId)).toEqual(['a1', 'a2', 'a3', 'a4'])
  })

  test('synced() with nothing pending resolves without a sync; close() syncs what is left and releases every waiter', async () => {
    const held = heldSync()
    const errors: string[] = []
    const log = createAuditLog({
      file,
      headFile,
      now,
      sync: held.sync,
      syncDelayMs: 60_000,
      log: { warn: () => {}, error: (_obj, msg) => errors.push(msg) },
    })
    log.record({ type: 'grant', origin: 'https://a.example', accounts: [] })
    const first = log.synced()
    held.finish()
    await first
    await log.synced()
    expect(held.pending).toHaveLength(0)
    log.record({ type: 'revoke', origin: 'https://a.example' })
    const second = log.synced()
    expect(held.pending).toHaveLength(1)
    log.close()
    await second
    expect(log.syncedSeq).toBe(log.seq)
    // The sync that was running when the log closed ends later (here on a closed descriptor): ignored.
    held.finish(Object.assign(new Error('EBADF'), { code: 'EBADF' }))
    expect(errors).toEqual([])
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 2 })
  })

  test('a line nobody waits for is synced after syncDelayMs', () => {
    vi.useFakeTimers()
    try {
      const held = heldSync()
      const log = createAuditLog({ file, headFile, now, sync: held.sync, syncDelayMs: 5 })
      log.record({ type: 'chainSwitch', origin: 'https://a.example', chainId: 1 })
      expect(held.pending).toHaveLength(0)
      vi.advanceTimersByTime(5)
      expect(held.pending).toHaveLength(1)
      held.finish()
      expect(log.syncedSeq).toBe(log.seq)
      log.close()
    } finally {
      vi.useRealTimers()
    }
  })

  test('a failed sync is logged once and releases its waiters; the next records are synced again', async () => {
    const held = heldSync()
    const errors: string[] = []
    const log = createAuditLog({
      file,
      headFile,
      now,
      sync: held.sync,
      syncDelayMs: 60_000,
      log: { warn: () => {}, error: (_obj, msg) => errors.push(msg) },
    })
    log.record({ type: 'signature', approvalId: 'a1', signature: '0x1' })
    const w1 = log.synced()
    held.finish(Object.assign(new Error('EIO'), { code: 'EIO' }))
    await w1
    log.record({ type: 'signature', approvalId: 'a2', signature: '0x2' })
    const w2 = log.synced()
    held.finish(Object.assign(new Error('EIO'), { code: 'EIO' }))
    await w2
    expect(errors).toEqual(['audit log: lines could not be synced to disk'])
    log.record({ type: 'signature', approvalId: 'a3', signature: '0x3' })
    const w3 = log.synced()
    expect(held.pending).toHaveLength(1)
    held.finish()
    await w3
    log.close()
    expect(verifyAuditLog(file, headFile)).toMatchObject({ ok: true, lines: 3 })
  })
})
