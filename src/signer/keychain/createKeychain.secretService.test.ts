import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createKeychain } from './createKeychain.js'

/**
 * The real OS keychain: @napi-rs/keyring against gnome-keyring over a D-Bus session bus.
 * CI runs it under `dbus-run-session` with gnome-keyring unlocked (DBUS_SESSION_BUS_ADDRESS set);
 * elsewhere, when `dbus-daemon` and `gnome-keyring-daemon` exist, the test starts a private bus and
 * keyring itself (data in a temp dir). On Linux an unavailable keychain fails the test, CI or not
 * (it used to pass without one when CI was unset). Debian packages: dbus gnome-keyring libsecret-1-0.
 */
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
const children: ChildProcess[] = []
let busPid: number | undefined
let mode: 'existing bus' | 'private bus' | 'none' = 'none'

let lastReason: string | undefined

/**
 * Polls until the Secret Service answers and can store (gnome-keyring may start slowly on a busy
 * machine, and creates its default collection only a moment after it answers searches).
 */
async function waitAvailable(attempts = 150): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const kc = createKeychain({ timeoutMs: 2000, service: 'walletd-test' })
    if (await kc.available()) {
      try {
        await kc.set('readiness-probe', new Uint8Array([1]))
        await kc.delete('readiness-probe')
        return true
      } catch (err) {
        lastReason = (err as Error).message
      }
    } else {
      lastReason = kc.unavailableReason()
    }
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
  // A session bus without service activation: with the standard service dirs, the first client
  // call could activate a second gnome-keyring-daemon (no --unlock, so no default collection)
  // before ours registers, and storing would then fail with "no result found" for good.
  const config = join(home, 'bus.conf')
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${home}</listen>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
  )
  const bus = spawnSync(
    'dbus-daemon',
    [`--config-file=${config}`, '--fork', '--nopidfile', '--print-address=1', '--print-pid=1'],
    { encoding: 'utf8' },
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
  test('stores, reads and deletes a secret in the real keychain', async () => {
    const kc = createKeychain({ service: 'walletd-test', timeoutMs: 5000 })
    if (process.platform !== 'linux') {
      // Only Linux (Secret Service) is exercised here; elsewhere the platform keychain answers or
      // the fallback is explained (createKeychain.noBus.test.ts covers the fallback on Linux).
      if (!(await kc.available()))
        expect(kc.unavailableReason()).toMatch(/^OS keychain unavailable \(.+\); using/)
      return
    }
    // On Linux the real keychain must be reachable, CI or not: a test that passes without it
    // proves nothing (.ci/run installs the packages).
    expect(
      mode,
      `no Secret Service answered: install dbus gnome-keyring libsecret-1-0 (as .ci/run does); last: ${lastReason}`,
    ).not.toBe('none')
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
