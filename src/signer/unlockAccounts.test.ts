import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { KeystoreError, WrongPassphraseError } from '../errors/startup.js'
import { createSigner } from './createSigner.js'
import { createKeychain, type KeychainBackend } from './keychain/createKeychain.js'
import { createPassphraseVault } from './keychain/createPassphraseVault.js'
import { encryptKeystore, LIGHT_SCRYPT } from './keystore/encryptKeystore.js'
import { writeKeystoreFile } from './keystore/keystoreDir.js'
import { rememberedDirFor, unlockAccounts } from './unlockAccounts.js'

const KEY1 = Buffer.from('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'hex')
const ADDR1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const KEY2 = Buffer.from('5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a', 'hex')
const ADDR2 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

function memLog() {
  const lines: { level: string; obj: object; msg: string }[] = []
  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
  }
}

async function setup(pass = 'pw') {
  const root = mkdtempSync(join(tmpdir(), 'walletd-unlock-'))
  const keystoreDir = join(root, 'keystore')
  writeKeystoreFile(keystoreDir, await encryptKeystore(KEY1, pass, { scrypt: LIGHT_SCRYPT }))
  writeKeystoreFile(keystoreDir, await encryptKeystore(KEY2, pass, { scrypt: LIGHT_SCRYPT }))
  return { root, keystoreDir }
}

function fakeKeychain() {
  const store = new Map<string, Uint8Array>()
  const backend: KeychainBackend = {
    get: async (_s, a) => store.get(a) ?? null,
    set: async (_s, a, v) => void store.set(a, Uint8Array.from(v)),
    delete: async (_s, a) => store.delete(a),
  }
  return createKeychain({ loadBackend: async () => backend })
}

describe('unlockAccounts', () => {
  test('password file (first line, CRLF stripped) unlocks every account; log has no secret', async () => {
    const { root, keystoreDir } = await setup('s3cret pass')
    const passwordFile = join(root, 'pw.txt')
    writeFileSync(passwordFile, 's3cret pass\r\nignored\n', { mode: 0o600 })
    const log = memLog()
    const accounts = await unlockAccounts({ keystoreDir, passphraseSource: { passwordFile }, log })
    expect(accounts.map((a) => a.address).sort()).toEqual([ADDR2, ADDR1].sort())
    expect(
      log.lines.filter((l) => l.msg === 'account unlocked').map((l) => (l.obj as { source: string }).source),
    ).toEqual(['password file', 'password file'])
    const text = JSON.stringify(log.lines)
    expect(text).not.toContain('s3cret')
    expect(text).not.toContain(KEY1.toString('hex'))
    // The account signs as the key it came from.
    const unlocked = accounts.find((a) => a.address === ADDR1)!
    expect(Buffer.from(unlocked.privateKey).equals(KEY1)).toBe(true)
    const signer = createSigner({ privateKeys: [unlocked.privateKey], workers: 0 })
    expect(signer.accounts()).toEqual([ADDR1])
    const sig = await signer.signMessage(ADDR1, { raw: '0x6869' })
    expect(sig).toMatch(/^0x[0-9a-f]{130}$/)
    await signer.close()
  })

  test('WALLETD_PASSWORD; a wrong explicit passphrase is an error naming the source', async () => {
    const { keystoreDir } = await setup()
    const ok = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
    })
    expect(ok).toHaveLength(2)
    const err = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'wrong' } },
      log: memLog(),
    }).catch((e) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(err.shortMessage).toMatch(/WALLETD_PASSWORD: wrong passphrase or corrupted file/)
    expect(err.exitCode).toBe(8)
  })

  test('OS keychain when remembered; the terminal for the rest; no source → clear error', async () => {
    const { keystoreDir } = await setup()
    const keychain = fakeKeychain()
    await createPassphraseVault({ keychain, dir: rememberedDirFor(keystoreDir) }).remember(
      ADDR1,
      Buffer.from('pw'),
    )
    const asked: string[] = []
    const answers = ['wrong', 'pw']
    const prompt = async (q: string) => {
      asked.push(q)
      return Buffer.from(answers.shift() ?? '')
    }
    const log = memLog()
    const accounts = await unlockAccounts({ keystoreDir, passphraseSource: { prompt }, keychain, log })
    expect(accounts).toHaveLength(2)
    const sources = Object.fromEntries(
      log.lines
        .filter((l) => l.msg === 'account unlocked')
        .map((l) => [(l.obj as { address: string }).address, (l.obj as { source: string }).source]),
    )
    expect(sources).toEqual({ [ADDR1]: 'OS keychain', [ADDR2]: 'terminal' })
    expect(asked).toHaveLength(2)
    expect(asked[0]).toContain(ADDR2)

    const err = await unlockAccounts({ keystoreDir, passphraseSource: {}, log: memLog() }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toMatch(/No passphrase for 0x.*--password-file.*WALLETD_PASSWORD.*remember/)
  })

  test('unavailable keychain: one warning line, falls back', async () => {
    const { keystoreDir } = await setup()
    const keychain = createKeychain({
      loadBackend: async () => {
        throw new Error('no Secret Service')
      },
    })
    const log = memLog()
    const accounts = await unlockAccounts({
      keystoreDir,
      passphraseSource: { prompt: async () => Buffer.from('pw') },
      keychain,
      log,
    })
    expect(accounts).toHaveLength(2)
    const warns = log.lines.filter((l) => l.level === 'warn')
    expect(warns).toHaveLength(1)
    expect(warns[0]?.msg).toMatch(/^OS keychain unavailable \(no Secret Service\)/)
  })

  test('empty or missing keystore dir → no accounts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'walletd-unlock-'))
    expect(
      await unlockAccounts({ keystoreDir: join(root, 'keystore'), passphraseSource: {}, log: memLog() }),
    ).toEqual([])
  })
})
