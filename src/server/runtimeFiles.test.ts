import { type ChildProcess, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  acquireLock,
  isProcessAlive,
  type RuntimeInfo,
  readRuntimeFile,
  removeRuntimeFile,
  writeRuntimeFile,
} from './runtimeFiles.js'

const cleanup: (() => unknown)[] = []
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn()
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'walletd-runtime-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A child that sleeps until killed, and its pid. */
async function sleeper(script = 'setInterval(() => {}, 1000)'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] })
  cleanup.push(() => child.kill('SIGKILL'))
  await new Promise((r) => child.once('spawn', r))
  return child
}

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

describe('isProcessAlive', () => {
  it('is true for a running process and false for an exited one or a pid that is no pid', async () => {
    expect(isProcessAlive(process.pid)).toBe(true)
    const child = await sleeper()
    expect(isProcessAlive(child.pid!)).toBe(true)
    expect(isProcessAlive(await deadPid())).toBe(false)
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isProcessAlive(pid), String(pid)).toBe(false)
  })

  it.runIf(process.platform === 'linux')(
    'is false for a zombie (exited, not reaped by its parent)',
    async () => {
      // sh starts a child that exits at once, then becomes `sleep`, which never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      cleanup.push(() => parent.kill('SIGKILL'))
      const pid = Number(
        await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(String(d).trim()))),
      )
      const state = () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      }
      while (state() !== 'Z') await new Promise((r) => setTimeout(r, 5))
      expect(isProcessAlive(pid)).toBe(false)
    },
  )
})

describe('acquireLock', () => {
  it('takes a private lock holding the pid; releasing removes it', () => {
    const dir = tempDir()
    const runtimeDir = join(dir, 'run')
    const lock = join(runtimeDir, 'walletd.lock')
    const release = acquireLock(lock, runtimeDir)
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid))
    expect(statSync(lock).mode & 0o777).toBe(0o600)
    expect(statSync(runtimeDir).mode & 0o777).toBe(0o700)
    release()
    expect(existsSync(lock)).toBe(false)
    // Releasing again (the file is gone) does not throw.
    release()
  })

  it('a lock held by another live process is a clear error naming its pid; the lock stays', async () => {
    const dir = tempDir()
    const lock = join(dir, 'walletd.lock')
    const child = await sleeper()
    writeFileSync(lock, `${child.pid}\n`)
    expect(() => acquireLock(lock, dir)).toThrow(
      expect.objectContaining({
        code: 'WALLETD_ERR_ALREADY_RUNNING',
        message: `walletd is already running for this data dir (pid ${child.pid}). Stop it with \`walletd stop\`, or use another --data-dir.`,
      }),
    )
    expect(readFileSync(lock, 'utf8')).toBe(`${child.pid}\n`)
  })

  it('a lock left by a dead process, one of its own pid, or one that holds no pid is taken over', async () => {
    const dir = tempDir()
    const lock = join(dir, 'walletd.lock')
    for (const content of [String(await deadPid()), String(process.pid), 'garbage', '']) {
      writeFileSync(lock, content)
      const release = acquireLock(lock, dir)
      expect(readFileSync(lock, 'utf8'), content).toBe(String(process.pid))
      release()
    }
  })

  it('a symlink at the lock path is refused', () => {
    const dir = tempDir()
    const lock = join(dir, 'walletd.lock')
    symlinkSync(join(dir, 'target'), lock)
    expect(() => acquireLock(lock, dir)).toThrow(
      expect.objectContaining({
        code: 'WALLETD_ERR_ALREADY_RUNNING',
        message: `The lock file ${lock} is a symlink; remove it.`,
      }),
    )
  })

  it('releasing leaves a lock another process has taken since', async () => {
    const dir = tempDir()
    const lock = join(dir, 'walletd.lock')
    const release = acquireLock(lock, dir)
    writeFileSync(lock, '12345')
    release()
    expect(readFileSync(lock, 'utf8')).toBe('12345')
  })

  it('a lock that cannot be read or removed (a directory) gives up after a retry', () => {
    const dir = tempDir()
    const lock = join(dir, 'walletd.lock')
    mkdirSync(lock)
    expect(() => acquireLock(lock, dir)).toThrow(
      expect.objectContaining({
        code: 'WALLETD_ERR_ALREADY_RUNNING',
        message: `Could not take the lock ${lock}.`,
      }),
    )
  })

  it('an error other than an existing lock is thrown as is', () => {
    const dir = tempDir()
    expect(() => acquireLock(join(dir, 'missing', 'walletd.lock'), dir)).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    )
  })
})

describe('the runtime file', () => {
  const info: RuntimeInfo = {
    pid: 1,
    host: '127.0.0.1',
    port: 8766,
    version: '9.9.9',
    startedAt: '2026-12-03T00:00:00.000Z',
    dataDir: '/tmp/x',
    dev: false,
    urls: {
      ws: 'ws://127.0.0.1:8766/rpc',
      http: 'http://127.0.0.1:8766/rpc',
      health: 'http://127.0.0.1:8766/health',
      metrics: 'http://127.0.0.1:8766/metrics',
      provider: 'http://127.0.0.1:8766/provider.js',
    },
    chains: [{ chainId: 1, name: 'Ethereum' }],
    identity: { alg: 'ES256', publicKey: 'BAAA' },
  }

  it('is written as indented JSON (0600), read back, and removed; a missing or broken one reads null', () => {
    const dir = tempDir()
    const file = join(dir, 'runtime.json')
    expect(readRuntimeFile(file)).toBeNull()
    writeRuntimeFile(file, info)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(info, null, 2)}\n`)
    expect(readRuntimeFile(file)).toEqual(info)
    removeRuntimeFile(file)
    expect(existsSync(file)).toBe(false)
    removeRuntimeFile(file)
    writeFileSync(file, '{"pid":')
    expect(readRuntimeFile(file)).toBeNull()
  })
})
