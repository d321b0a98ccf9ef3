import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { createKeychain, KeychainUnavailableError } from './createKeychain.js'

// The real native module with no reachable session bus (headless box, WSL, container): walletd must
// say so in one line and go on, never crash or hang.
test('no D-Bus session bus: unavailable with one clear line, calls throw a typed error', async () => {
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(mkdtempSync(join(tmpdir(), 'walletd-nobus-')), 'bus')}`
  const kc = createKeychain({ service: 'walletd-test', timeoutMs: 5000 })
  if (process.platform !== 'linux') {
    expect(typeof (await kc.available())).toBe('boolean')
    return
  }
  expect(await kc.available()).toBe(false)
  const reason = kc.unavailableReason()
  expect(reason).toMatch(
    /^OS keychain unavailable \(.*\); using --password-file, WALLETD_PASSWORD or the terminal instead$/,
  )
  expect(reason).not.toContain('\n')
  await expect(kc.set('a', new Uint8Array(32))).rejects.toThrow(KeychainUnavailableError)
})
