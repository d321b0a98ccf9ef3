import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { Command } from 'commander'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { ANVIL_MNEMONIC as MNEMONIC } from '../dev/startAnvil.js'
import { createKeychain, type KeychainBackend } from '../signer/keychain/createKeychain.js'
import { LIGHT_SCRYPT } from '../signer/keystore/encryptKeystore.js'
import { createAccountCommand } from './accountCommand.js'

const ADDR1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const ADDR2 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const KEY1 = '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const fixtures = new URL('../../test/fixtures/keystore/', import.meta.url)

afterEach(() => {
  process.exitCode = undefined
  vi.restoreAllMocks()
})

function harness(prompts: string[] = []) {
  const root = mkdtempSync(join(tmpdir(), 'walletd-cli-'))
  const dataDir = join(root, 'data')
  let output = ''
  const stdout = new PassThrough()
  stdout.on('data', (c) => (output += c))
  const store = new Map<string, Uint8Array>()
  const backend: KeychainBackend = {
    get: async (_s, a) => store.get(a) ?? null,
    set: async (_s, a, v) => void store.set(a, Uint8Array.from(v)),
    delete: async (_s, a) => store.delete(a),
  }
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  const cmd = createAccountCommand({
    env: { XDG_CONFIG_HOME: join(root, 'cfg') },
    stdout,
    prompt: async () => Buffer.from(prompts.shift() ?? ''),
    keychain: () => createKeychain({ loadBackend: async () => backend }),
    scrypt: LIGHT_SCRYPT,
  })
  const program = new Command('walletd').exitOverride().addCommand(cmd)
  const run = async (...args: string[]) => {
    output = ''
    process.exitCode = undefined
    await program.parseAsync(['node', 'walletd', 'account', ...args, '--data-dir', dataDir])
    return output
  }
  const errText = () => stderr.mock.calls.map((c) => String(c[0])).join('')
  return { root, dataDir, run, store, errText }
}

describe('walletd account', () => {
  test('import --private-key-file / --mnemonic-file / --keystore, list, remove', async () => {
    const h = harness(['pw', 'pw', 'pw', 'pw'])
    const keyFile = join(h.root, 'key.txt')
    writeFileSync(keyFile, `0x${KEY1}\n`, { mode: 0o600 })
    expect(await h.run('import', '--private-key-file', keyFile)).toContain(ADDR1)
    const keystoreDir = join(h.dataDir, 'keystore')
    expect(statSync(keystoreDir).mode & 0o777).toBe(0o700)
    for (const f of readdirSync(keystoreDir)) expect(statSync(join(keystoreDir, f)).mode & 0o777).toBe(0o600)

    const mnemonicFile = join(h.root, 'm.txt')
    writeFileSync(mnemonicFile, `${MNEMONIC}\n`, { mode: 0o600 })
    expect(await h.run('import', '--mnemonic-file', mnemonicFile, '--index', '2')).toContain(ADDR2)
    // Same account again: refused, exit code 8.
    await h.run('import', '--mnemonic-file', mnemonicFile, '--index', '1')
    expect(process.exitCode).toBe(8)
    expect(h.errText()).toMatch(/already exists/)

    const passwordFile = join(h.root, 'cast-pw')
    writeFileSync(passwordFile, 'cast fixture pass\n', { mode: 0o600 })
    const imported = await h.run(
      'import',
      '--keystore',
      new URL('cast-imported.json', fixtures).pathname,
      '--password-file',
      passwordFile,
    )
    expect(imported).toContain('0x2c7536E3605D9C16a7a3D7b1898e529396a65c23')

    const list = JSON.parse(await h.run('list', '--json'))
    expect(list.map((e: { address: string }) => e.address).sort()).toEqual(
      [ADDR1, ADDR2, '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23'].sort(),
    )
    expect(JSON.stringify(list)).not.toContain(KEY1)

    await h.run('remove', ADDR1)
    expect(process.exitCode).toBe(2)
    expect(await h.run('remove', ADDR1, '--yes')).toMatch(/removed-keys/)
    expect(JSON.parse(await h.run('list', '--json'))).toHaveLength(2)
    expect(h.errText()).not.toContain(KEY1)
    expect(h.errText()).not.toContain('cast fixture pass')
  })

  test('new asks twice; mismatch refused; remember/forget through the keychain', async () => {
    const h = harness(['one', 'two', 'pw', 'pw', 'wrong', 'pw'])
    await h.run('new')
    expect(process.exitCode).toBe(8)
    expect(h.errText()).toMatch(/do not match/)
    const out = await h.run('new', '--json')
    const { address } = JSON.parse(out)
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/)
    await h.run('remember', address)
    expect(process.exitCode).toBe(8)
    expect(h.errText()).toMatch(/wrong passphrase/)
    expect(h.store.size).toBe(0)
    expect(await h.run('remember', address)).toMatch(/remembered/)
    expect(h.store.size).toBe(1)
    expect(await h.run('forget', address)).toMatch(/Forgot/)
    expect(h.store.size).toBe(0)
  })

  test('no terminal and no password source → clear error, exit 8', async () => {
    const root = mkdtempSync(join(tmpdir(), 'walletd-cli-'))
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const cmd = createAccountCommand({
      env: { XDG_CONFIG_HOME: root },
      prompt: undefined,
      scrypt: LIGHT_SCRYPT,
    })
    await new Command('walletd')
      .exitOverride()
      .addCommand(cmd)
      .parseAsync(['node', 'walletd', 'account', 'new', '--data-dir', join(root, 'd')])
    expect(process.exitCode).toBe(8)
  })
})
