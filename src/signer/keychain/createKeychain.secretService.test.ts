import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createKeychain } from './createKeychain.js'

/**
 * The real OS keychain: @napi-rs/keyring against gnome-keyring over a D-Bus session bus.
 * CI runs it under `dbus-run-session` with gnome-keyring unlocked (DBUS_SESSION_BUS_ADDRESS set);
 * elsewhere, when `dbus-daemon` and `gnome-keyring-daemon` exist, the test starts a private bus and
 * keyring itself (data in a temp dir). With CI set, an unavailable keychain fails the test.
 * Debian packages: dbus gnome-keyring libsecret-1-0.
 */
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
const children: ChildProcess[] = []
let busPid: number | undefined
let mode: 'existing bus' | 'private bus' | 'none' = 'none'

let lastReason: string | undefined

/** Polls until the Secret Service answers (gnome-keyring may start slowly on a busy machine). */
async function waitAvailable(attempts = 150): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const kc = createKeychain({ timeoutMs: 2000, service: 'walletd-test' })
    if (await kc.available()) return true
    lastReason = kc.unavailableReason()
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

beforeAll(async () => {
  if (process.platform !== 'linux') return
  if (process.env.DBUS_SESSION_BUS_ADDRESS && (await waitAvailable(20))) {
    mode = 'existing bus'
    return
  }
  if (!has('dbus-daemon') || !has('gnome-keyring-daemon')) return
  const home = mkdtempSync(join(tmpdir(), 'walletd-keyring-'))
  const bus = spawnSync(
    'dbus-daemon',
    ['--session', '--fork', '--nopidfile', '--print-address=1', '--print-pid=1'],
    {
      encoding: 'utf8',
    },
  )
  const [address, pid] = bus.stdout.trim().split('\n')
  if (!address || !pid) return
  busPid = Number(pid)
  // The native library reads the variable when it connects (forks pool: this process's real env).
  process.env.DBUS_SESSION_BUS_ADDRESS = address
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_RUNTIME_DIR: home }
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  keyring.stdin?.end('test-keyring-password')
  children.push(keyring)
  if (await waitAvailable()) mode = 'private bus'
}, 60_000)

afterAll(() => {
  for (const c of children) c.kill('SIGTERM')
  if (busPid) {
    try {
      process.kill(busPid, 'SIGTERM')
    } catch {}
  }
})

describe('OS keychain through @napi-rs/keyring (Secret Service)', () => {
  test('stores, reads and deletes a secret; or, with no keychain outside CI, falls back cleanly', async () => {
    const kc = createKeychain({ service: 'walletd-test', timeoutMs: 5000 })
    if (process.platform === 'linux' && has('dbus-daemon') && has('gnome-keyring-daemon')) {
      expect(
        mode,
        `dbus-daemon and gnome-keyring-daemon exist, so the real keychain must be reachable (last: ${lastReason})`,
      ).not.toBe('none')
    }
    if (mode === 'none') {
      // In CI the keychain must be there: this fails the run instead of silently skipping.
      expect(
        process.env.CI,
        `CI is set but no Secret Service answered (install dbus gnome-keyring; last: ${lastReason})`,
      ).toBeFalsy()
      expect(await kc.available()).toBe(false)
      expect(kc.unavailableReason()).toMatch(/^OS keychain unavailable \(.+\); using/)
      return
    }
    expect(await kc.available()).toBe(true)
    const account = `test-${process.pid}-${Date.now()}`
    expect(await kc.get(account)).toBeNull()
    const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff)
    await kc.set(account, secret)
    expect(Buffer.from((await kc.get(account)) ?? []).equals(Buffer.from(secret))).toBe(true)
    expect(await kc.delete(account)).toBe(true)
    expect(await kc.get(account)).toBeNull()
  }, 30_000)
})
