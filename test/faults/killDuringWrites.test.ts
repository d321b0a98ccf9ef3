import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { loadAttestedPolicy } from '../../src/approval/policy/loadPolicy.js'
import { createAuditLog } from '../../src/audit/createAuditLog.js'
import { verifyAuditLog } from '../../src/audit/verifyAuditLog.js'
import { createTokenStore } from '../../src/server/createTokenStore.js'
import { createSessionStore } from '../../src/session/createSessionStore.js'
import { listKeystoreAccounts } from '../../src/signer/keystore/keystoreDir.js'
import { startTestDaemon } from '../helpers/startTestDaemon.js'

/**
 * SIGKILL during state-file writes, 100 times: a child process (test/fixtures/stateWriter.mjs,
 * the real writer modules from dist) writes one kind of state file in a loop — sessions, tokens,
 * a keystore file, a policy attestation, an audit line — and is killed at a random moment (fixed
 * seed). After each kill the file is whole: it parses and loads with walletd's own reader, and
 * holds the last write the child finished or the one in flight, never less, never a torn mix.
 * The audit log may end in a torn line only; reopening it sets that aside and the chain verifies.
 * Temp files a kill left behind are never read as state, and the next daemon start removes them.
 */
const WRITER = fileURLToPath(new URL('../fixtures/stateWriter.mjs', import.meta.url))
const KINDS = ['sessions', 'tokens', 'keystore', 'policy', 'audit'] as const
type Kind = (typeof KINDS)[number]
const KILLS = 100
/** mulberry32: the kill moments are random but the same on every run. */
function seeded(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const root = mkdtempSync(join(tmpdir(), 'walletd-kill-'))
const dataDir = join(root, 'data')
mkdirSync(dataDir, { mode: 0o700 })

afterAll(() => rmSync(root, { recursive: true, force: true }))

/**
 * Runs one writer, kills it `delayMs` after its first whole write, and returns the last write it
 * finished (-1: none) and its pid.
 */
function killWriter(kind: Kind, run: number, delayMs: number): Promise<{ last: number; pid: number }> {
  const child = spawn(process.execPath, [WRITER, kind, dataDir, String(run)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  let timer: NodeJS.Timeout | undefined
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (c: string) => {
    err += c
  })
  child.stdout.on('data', (c: string) => {
    out += c
    if (timer === undefined && out.includes('\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') return reject(new Error(`writer ${kind} exited ${code}: ${err}`))
      const lines = out.split('\n').filter((l) => /^w \d+$/.test(l))
      resolve({ last: lines.length ? Number(lines.at(-1)!.slice(2)) : -1, pid: child.pid! })
    })
  })
}

/** The highest `n` of `run` the file holds (-1: none), after checking it loads. */
function check(kind: Kind, run: number): number {
  const ofRun = (names: string[], re: RegExp) =>
    Math.max(-1, ...names.map((s) => re.exec(s)).map((m) => (m ? Number(m[1]) : -1)))
  if (kind === 'sessions') {
    let corrupt = false
    const store = createSessionStore({
      file: join(dataDir, 'sessions.json'),
      defaultChainId: () => 31337,
      onCorrupt: () => {
        corrupt = true
      },
    })
    expect(corrupt).toBe(false)
    return ofRun(
      store.list().map((s) => s.origin),
      new RegExp(`^https://r${run}-(\\d+)\\.example$`),
    )
  }
  if (kind === 'tokens') {
    const file = join(dataDir, 'tokens.json')
    // The store authorises nobody on a corrupt file; parse it directly to tell.
    expect(Array.isArray(JSON.parse(readFileSync(file, 'utf8')).tokens)).toBe(true)
    return ofRun(
      createTokenStore({ file })
        .list()
        .map((t) => t.name),
      new RegExp(`^r${run}-(\\d+)$`),
    )
  }
  if (kind === 'keystore') {
    // Every file in the keystore parses as a keystore (temp files are not candidates).
    const prefix = run.toString(16).padStart(8, '0')
    const mine = listKeystoreAccounts(join(dataDir, 'keystore'))
      .map((e) => e.address!.slice(2).toLowerCase())
      .filter((a) => a.startsWith(prefix))
    return Math.max(-1, ...mine.map((a) => Number.parseInt(a.slice(8), 16)))
  }
  if (kind === 'policy') {
    const store = join(dataDir, 'policy-attestations.json')
    const attested = JSON.parse(readFileSync(store, 'utf8')).attested as Array<{ file: string }>
    const n = ofRun(
      attested.map((a) => a.file),
      new RegExp(`policy-r${run}-(\\d+)\\.json$`),
    )
    // What is recorded is usable: that policy loads as attested.
    if (n >= 0)
      expect(loadAttestedPolicy(join(root, `policy-r${run}-${n}.json`), store).policy.version).toBe(1)
    return n
  }
  // audit: the chain verifies, or only its last line is torn; reopening sets that aside.
  const file = join(dataDir, 'audit.jsonl')
  const head = join(dataDir, 'audit.head')
  const before = verifyAuditLog(file, head)
  if (!before.ok) expect(before.reason).toMatch(/^cut short/)
  const warned: string[] = []
  const log = createAuditLog({
    file,
    headFile: head,
    log: { warn: (_o, msg) => warned.push(msg), error: (_o, msg) => expect.fail(`audit set aside: ${msg}`) },
  })
  log.close()
  expect(warned.length > 0).toBe(!before.ok)
  const after = verifyAuditLog(file, head)
  expect(after).toMatchObject({ ok: true, head: 'matches' })
  const lines = readFileSync(file, 'utf8').trim().split('\n')
  return ofRun(
    lines.map((l) => {
      const r = JSON.parse(l) as { run?: number; n?: number }
      return r.run === run ? String(r.n) : ''
    }),
    /^(\d+)$/,
  )
}

describe('SIGKILL during state-file writes (100 kills): each file is its last whole version; temps are swept', () => {
  test('sessions, tokens, keystore, policy attestation, audit log', async () => {
    const random = seeded(12)
    const counts: Record<string, { kills: number; inFlight: number }> = {}
    const pids: number[] = []
    // Two writers at a time, of different kinds (each kind's runs in order).
    for (let run = 0; run < KILLS; run += 2) {
      const batch = [run, run + 1].map((r) => ({ run: r, kind: KINDS[r % KINDS.length]! }))
      const results = await Promise.all(
        batch.map((b) => killWriter(b.kind, b.run, Math.floor(random() * 40))),
      )
      for (const [i, { run: r, kind }] of batch.entries()) {
        const { last, pid } = results[i]!
        pids.push(pid)
        expect(last, `${kind} run ${r} wrote nothing before its kill`).toBeGreaterThanOrEqual(0)
        const held = check(kind, r)
        // The last finished write, or the one in flight when the kill came; nothing older.
        expect([last, last + 1], `${kind} run ${r}`).toContain(held)
        counts[kind] ??= { kills: 0, inFlight: 0 }
        counts[kind]!.kills++
        if (held === last + 1) counts[kind]!.inFlight++
      }
    }
    expect(Object.values(counts).reduce((s, c) => s + c.kills, 0)).toBe(KILLS)
    for (const kind of KINDS) expect(counts[kind]!.kills).toBe(KILLS / KINDS.length)

    // Temp files left by the kills (a kill between creating the temp and renaming it), plus one
    // named after a killed writer for certain, so the sweep below has work either way.
    const temps = () =>
      [dataDir, join(dataDir, 'keystore')].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.tmp')))
    writeFileSync(join(dataDir, `.sessions.json.${pids[0]}.0123456789ab.tmp`), '{"version":1,"sessi')
    const left = temps()
    expect(left.length).toBeGreaterThan(0)
    // A temp of a writer that still runs (this process) is not touched.
    const live = join(dataDir, `.tokens.json.${process.pid}.ba9876543210.tmp`)
    writeFileSync(live, '')

    // The real daemon starts on this data dir: every file loads (no corrupt file set aside, the
    // audit chain goes on) and the dead writers' temps are gone.
    const d = await startTestDaemon({ dataDir, signer: null })
    try {
      expect(temps()).toEqual([live.split('/').at(-1)])
      expect(d.logText()).toContain('removed temp files left by an interrupted write')
      expect(d.logText()).not.toMatch(/corrupt|set aside/)
      expect(existsSync(join(dataDir, 'sessions.json'))).toBe(true)
    } finally {
      await d.close()
    }
    expect(verifyAuditLog(join(dataDir, 'audit.jsonl'), join(dataDir, 'audit.head'))).toMatchObject({
      ok: true,
    })
    if (process.env.FAULTS_REPORT) process.stderr.write(`kills per kind: ${JSON.stringify(counts)}\n`)
  }, 120_000)
})
