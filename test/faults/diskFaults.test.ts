import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, inject, test } from 'vitest'
import { freshHome, runCli } from '../helpers/cliProcess.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * A read-only data dir and a full disk, for real: as root (CI) a tmpfs mounted for the test (a
 * read-only bind mount over the data dir makes it read-only, a filler file fills it); as another user, chmod 0500 (root
 * ignores permissions, and a full disk then is covered by the ENOSPC unit test of the state
 * writer). At start, the CLI fails with WALLETD_ERR_DATA_DIR and changes nothing; while running,
 * the request that needed the write gets a clear JSON-RPC error, it is logged once, the previous
 * state file is still there, the daemon keeps serving, and writes work again once they can.
 */
const A1 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const uid = process.getuid?.() ?? 0

/** Whether this process may mount a tmpfs (root with the capability; not in every container). */
function canMount(): boolean {
  if (uid !== 0) return false
  const dir = mkdtempSync(join(tmpdir(), 'walletd-mnt-probe-'))
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0
  if (ok) spawnSync('umount', [dir])
  rmSync(dir, { recursive: true, force: true })
  return ok
}

type Fs = {
  /** The data dir (inside the mount for tmpfs). */
  dataDir: string
  readOnly(): void
  writable(): void
  /** Fills the file system (tmpfs only); returns a function that frees the space. */
  fill?: () => () => void
  cleanup(): void
}

function tmpfs(): Fs {
  const mnt = mkdtempSync(join(tmpdir(), 'walletd-tmpfs-'))
  const run = (...args: string[]) => {
    const r = spawnSync('mount', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr}`)
  }
  run('-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mnt)
  const dataDir = join(mnt, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  return {
    dataDir,
    // A read-only bind mount over the data dir: what the daemon opens from now on is read-only
    // (a plain `remount,ro` is refused while the daemon holds its audit log open for writing).
    readOnly() {
      run('--bind', dataDir, dataDir)
      run('-o', 'remount,bind,ro', dataDir)
    },
    writable() {
      const r = spawnSync('umount', [dataDir], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`umount ${dataDir}: ${r.stderr}`)
    },
    fill() {
      const filler = join(mnt, 'filler')
      const fd = openSync(filler, 'w')
      const chunk = Buffer.alloc(64 * 1024)
      try {
        for (;;) writeSync(fd, chunk)
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
      } finally {
        closeSync(fd)
      }
      return () => unlinkSync(filler)
    },
    cleanup() {
      spawnSync('umount', ['-l', dataDir])
      spawnSync('umount', ['-l', mnt])
      rmSync(mnt, { recursive: true, force: true })
    },
  }
}

function chmodDir(): Fs {
  const root = mkdtempSync(join(tmpdir(), 'walletd-ro-'))
  const dataDir = join(root, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  return {
    dataDir,
    readOnly: () => chmodSync(dataDir, 0o500),
    writable: () => chmodSync(dataDir, 0o700),
    cleanup() {
      chmodSync(dataDir, 0o700)
      rmSync(root, { recursive: true, force: true })
    },
  }
}

const mechanisms: Array<{ name: string; make: () => Fs; cause: RegExp }> = []
if (canMount()) mechanisms.push({ name: 'tmpfs, read-only bind mount', make: tmpfs, cause: /EROFS/ })
if (uid !== 0) mechanisms.push({ name: 'chmod 0500', make: chmodDir, cause: /EACCES/ })

let fs: Fs | undefined
let d: TestDaemon | undefined
afterEach(async () => {
  await d?.close()
  d = undefined
  fs?.cleanup()
  fs = undefined
})

const SESSIONS = JSON.stringify({
  version: 1,
  sessions: [
    {
      origin: 'https://kept.example',
      accounts: [A1],
      lastAccounts: [A1],
      chainId: 31337,
      createdAt: 1,
      lastUsedAt: 1,
      grantedAt: 1,
    },
  ],
})

describe('start with an unwritable data dir: WALLETD_ERR_DATA_DIR, exit 1, nothing changed', () => {
  test('a file where the runtime directory is expected (works for any user)', async () => {
    const { home, env } = freshHome('walletd-datadir-')
    const dataDir = join(home, 'state')
    mkdirSync(dataDir, { mode: 0o700 })
    writeFileSync(join(dataDir, 'sessions.json'), SESSIONS, { mode: 0o600 })
    writeFileSync(join(dataDir, 'run'), 'not a directory')
    const r = await runCli({ ...env, XDG_RUNTIME_DIR: '' }, [
      'start',
      '--data-dir',
      dataDir,
      '--upstream',
      inject('anvilWsUrl'),
      '--approver',
      'none',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('WALLETD_ERR_DATA_DIR')
    expect(r.stderr).toContain(`The runtime directory ${join(dataDir, 'run')} cannot be written`)
    expect(r.stderr).not.toContain('WALLETD_ERR_UNEXPECTED')
    expect(readdirSync(dataDir).sort()).toEqual(['run', 'sessions.json'])
    expect(readFileSync(join(dataDir, 'sessions.json'), 'utf8')).toBe(SESSIONS)
    rmSync(home, { recursive: true, force: true })
  })

  for (const m of mechanisms)
    test(`a read-only data dir (${m.name})`, async () => {
      fs = m.make()
      writeFileSync(join(fs.dataDir, 'sessions.json'), SESSIONS, { mode: 0o600 })
      fs.readOnly()
      const { home, env } = freshHome('walletd-datadir-')
      const r = await runCli({ ...env, XDG_RUNTIME_DIR: '' }, [
        'start',
        '--data-dir',
        fs.dataDir,
        '--upstream',
        inject('anvilWsUrl'),
        '--approver',
        'none',
      ])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('WALLETD_ERR_DATA_DIR')
      expect(r.stderr).toMatch(m.cause)
      expect(readdirSync(fs.dataDir)).toEqual(['sessions.json'])
      expect(readFileSync(join(fs.dataDir, 'sessions.json'), 'utf8')).toBe(SESSIONS)
      rmSync(home, { recursive: true, force: true })
    })
})

/** Starts a daemon on `fs`, grants one origin, and returns a function that asks another to connect. */
async function grantedDaemon(f: Fs) {
  d = await startTestDaemon({ dataDir: f.dataDir, approver: createScriptedApprover([], 'approve') })
  const a = await d.connect({ origin: 'https://a.example' })
  expect((await a.call('eth_requestAccounts')).result).toContain(A1.toLowerCase())
  const file = join(f.dataDir, 'sessions.json')
  const saved = readFileSync(file, 'utf8')
  expect(saved).toContain('https://a.example')
  return { a, file, saved }
}

for (const m of [
  ...mechanisms.map((x) => ({ ...x, fault: 'read-only' as const })),
  ...mechanisms
    .filter((x) => x.make === tmpfs)
    .map((x) => ({ ...x, name: 'tmpfs filled up', cause: /ENOSPC/, fault: 'full' as const })),
])
  describe(`a running daemon whose data dir turns unwritable (${m.name}): clear error, logged once, nothing lost, still serving`, () => {
    test('the grant that needs the write fails; the previous file stays; it works again afterwards', async () => {
      fs = m.make()
      const { a, file, saved } = await grantedDaemon(fs)
      let restore: () => void = () => fs!.writable()
      if (m.fault === 'full') restore = fs.fill!()
      else fs.readOnly()

      const b = await d!.connect({ origin: 'https://b.example' })
      for (let i = 0; i < 2; i++) {
        const res = await b.call('eth_requestAccounts')
        expect(res.result).toBeUndefined()
        expect(res.error).toMatchObject({ code: -32603, data: { reason: 'state-not-saved' } })
        expect(res.error!.message).toMatch(/^walletd could not save its state: /)
        expect(res.error!.message).toMatch(m.cause)
        expect(res.error!.message).not.toContain(fs.dataDir)
      }
      // Not granted in memory either; the other origin keeps its grant; the daemon serves.
      expect((await b.call('eth_accounts')).result).toEqual([])
      expect((await a.call('eth_accounts')).result).toContain(A1.toLowerCase())
      expect((await a.call('eth_chainId')).result).toBe('0x7a69')
      expect(readFileSync(file, 'utf8')).toBe(saved)
      const logged = d!.logText().split('\n')
      expect(logged.filter((l) => l.includes('cannot save a state file')).length).toBe(1)

      restore()
      expect((await b.call('eth_requestAccounts')).result).toContain(A1.toLowerCase())
      expect(readFileSync(file, 'utf8')).toContain('https://b.example')
      expect(d!.logText()).toContain('state file saved again')
      await a.close()
      await b.close()
    })
  })
