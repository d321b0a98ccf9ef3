import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { freshHome, runCli, startCliDaemon } from '../helpers/cliProcess.js'

/**
 * Every CLI failure in one shape — `walletd: <message> [WALLETD_ERR_…]` on stderr, printed once,
 * with its documented exit code — found by trying the CLI as a new user would.
 */
let home: string
let env: NodeJS.ProcessEnv
const SHAPE = /^walletd: .+ \[WALLETD_ERR_[A-Z_]+\]$/

/** The failure lines of stderr (warnings and detail lines aside). */
const failures = (stderr: string) =>
  stderr.split('\n').filter((l) => l.startsWith('walletd: ') && !l.startsWith('walletd: warning'))

beforeAll(() => {
  ;({ home, env } = freshHome('walletd-clierr-'))
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('CLI errors', () => {
  test('token revoke of an unknown token: stderr, exit 2, WALLETD_ERR_NOT_FOUND', async () => {
    const r = await runCli(env, ['token', 'revoke', 'nosuch'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('walletd: No token named "nosuch". [WALLETD_ERR_NOT_FOUND]\n')
  })

  test('a missing --private-key-file is a usage error naming the flag (exit 2)', async () => {
    const r = await runCli(env, ['account', 'import', '--private-key-file', join(home, 'nope.txt')])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      `walletd: Cannot read --private-key-file ${join(home, 'nope.txt')}: no such file. [WALLETD_ERR_USAGE]\n`,
    )
  })

  test('--port abc is a usage error (exit 2), not a configuration error', async () => {
    const r = await runCli(env, ['start', '--dev', '--port', 'abc'])
    expect(r.code).toBe(2)
    expect(failures(r.stderr)).toHaveLength(1)
    expect(failures(r.stderr)[0]).toMatch(SHAPE)
    expect(r.stderr).toContain("'--port <n>' argument 'abc' is invalid")
    expect(r.stderr).toContain('[WALLETD_ERR_USAGE]')
    const stop = await runCli(env, ['stop', '--timeout', 'soon'])
    expect(stop.code).toBe(2)
  })

  test('unknown commands and options are usage errors in the same shape', async () => {
    for (const args of [['frobnicate'], ['start', '--no-such-flag'], ['approve']]) {
      const r = await runCli(env, args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(failures(r.stderr)[0], args.join(' ')).toMatch(SHAPE)
    }
  })

  test('an invalid config value is printed once, naming the key and the variable that set it (exit 3)', async () => {
    const r = await runCli({ ...env, WALLETD_SERVER__PORT: '"x"' }, ['start', '--dev'])
    expect(r.code).toBe(3)
    expect(failures(r.stderr)).toEqual([
      'walletd: The configuration is invalid. [WALLETD_ERR_CONFIG_INVALID]',
    ])
    expect(r.stderr.match(/config\.server\.port/g)).toHaveLength(1)
    expect(r.stderr).toContain('(set by WALLETD_SERVER__PORT)')
  })

  test('an env-var typo names the variable', async () => {
    const r = await runCli({ ...env, WALLETD_SERVR__PORT: '9000' }, ['config', 'check'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('config: unknown key(s) "servr" (set by WALLETD_SERVR__PORT)')
    const nested = await runCli({ ...env, WALLETD_SERVER__PROT: '9000' }, ['config', 'check'])
    expect(nested.stderr).toContain('config.server: unknown key(s) "prot" (set by WALLETD_SERVER__PROT)')
  })

  test('start with a missing or wrong password file stops before listening (exit 8, no banner)', async () => {
    const keyFile = join(home, 'key.txt')
    const pass = join(home, 'pass.txt')
    const wrong = join(home, 'wrong.txt')
    writeFileSync(keyFile, '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n', {
      mode: 0o600,
    })
    writeFileSync(pass, 'correct horse\n', { mode: 0o600 })
    writeFileSync(wrong, 'battery staple\n', { mode: 0o600 })
    const imported = await runCli(env, [
      'account',
      'import',
      '--private-key-file',
      keyFile,
      '--password-file',
      pass,
    ])
    expect(imported.code, imported.stderr).toBe(0)
    const upstream = inject('anvilHttpUrl')
    // The right password file: it starts, and the account checked before listening is unlocked.
    const ok = await startCliDaemon(env, ['--port', '0', '--upstream', upstream, '--password-file', pass])
    try {
      const deadline = Date.now() + 20_000
      let status: any
      do status = JSON.parse((await runCli(env, ['status', '--json'])).stdout)
      while (!status.health?.signer?.unlocked && Date.now() < deadline)
      expect(status.health.signer).toEqual({ unlocked: true, accounts: 1 })
      expect((await runCli(env, ['stop'])).code).toBe(0)
    } finally {
      ok.child.kill('SIGKILL')
    }
    const missing = await runCli(env, [
      'start',
      '--port',
      '0',
      '--upstream',
      upstream,
      '--password-file',
      join(home, 'gone.txt'),
    ])
    expect(missing.code).toBe(8)
    expect(missing.stdout).not.toContain('listening')
    expect(failures(missing.stderr)[0]).toMatch(
      /^walletd: Cannot read the password file .*gone\.txt: ENOENT \[WALLETD_ERR_KEYSTORE\]$/,
    )
    const bad = await runCli(env, ['start', '--port', '0', '--upstream', upstream, '--password-file', wrong])
    expect(bad.code).toBe(8)
    expect(bad.stdout).not.toContain('listening')
    expect(failures(bad.stderr)).toHaveLength(1)
    expect(bad.stderr).toContain('[WALLETD_ERR_WRONG_PASSPHRASE]')

    // Importing a second account under another passphrase says at once that start would fail.
    const key2 = join(home, 'key2.txt')
    writeFileSync(key2, '5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a\n', { mode: 0o600 })
    const second = await runCli(env, [
      'account',
      'import',
      '--private-key-file',
      key2,
      '--password-file',
      wrong,
    ])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(
      /^walletd: warning: this account's passphrase differs from the one of .*WALLETD_ERR_WRONG_PASSPHRASE/,
    )
    // And one under WALLETD_PASSWORD's passphrase when that is set differently.
    const key3 = join(home, 'key3.txt')
    writeFileSync(key3, '7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6\n', { mode: 0o600 })
    const third = await runCli({ ...env, WALLETD_PASSWORD: 'correct horse' }, [
      'account',
      'import',
      '--private-key-file',
      key3,
      '--password-file',
      wrong,
    ])
    expect(third.stderr).toContain('differs from WALLETD_PASSWORD in this environment')
  })
})
