import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { KeystoreError, WrongPassphraseError } from '../errors/startup.js'
import { createSigner } from './createSigner.js'
import { createKeychain, type Keychain, type KeychainBackend } from './keychain/createKeychain.js'
import { createPassphraseVault } from './keychain/createPassphraseVault.js'
import { createKdfLimiter } from './keystore/createKdfLimiter.js'
import { encryptKeystore, LIGHT_SCRYPT } from './keystore/encryptKeystore.js'
import { listKeystoreFiles, writeKeystoreFile } from './keystore/keystoreDir.js'
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

describe('unlockAccounts: every source, every refusal', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })
  const prompter = (...answers: string[]) => {
    const asked: string[] = []
    const given: Buffer[] = []
    return {
      asked,
      given,
      prompt: async (q: string) => {
        asked.push(q)
        const b = Buffer.from(answers.shift() ?? 'unexpected')
        given.push(b)
        return b
      },
    }
  }
  const unlockedSources = (log: ReturnType<typeof memLog>) =>
    log.lines.filter((l) => l.msg === 'account unlocked').map((l) => (l.obj as { source: string }).source)

  test('the remembered dir is next to the keystore dir', () => {
    expect(rememberedDirFor(join('/data', 'keystore'))).toBe(join('/data', 'remembered'))
  })

  test('an empty keystore dir says so in the log', async () => {
    const root = mkdtempSync(join(tmpdir(), 'walletd-unlock-'))
    const log = memLog()
    await unlockAccounts({ keystoreDir: root, passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } }, log })
    expect(log.lines).toEqual([
      { level: 'info', obj: { keystoreDir: root }, msg: 'no keystore files; no accounts unlocked' },
    ])
  })

  test('logs the time each unlock took (the injected clock), the file and the source', async () => {
    const { keystoreDir } = await setup()
    let t = 100
    const log = memLog()
    await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log,
      now: () => (t += 10.4),
    })
    const files = listKeystoreFiles(keystoreDir)
    expect(log.lines.map((l) => l.obj)).toEqual([
      { address: expect.any(String), file: files[0], source: 'WALLETD_PASSWORD', ms: 10 },
      { address: expect.any(String), file: files[1], source: 'WALLETD_PASSWORD', ms: 10 },
    ])
    // The default clock gives a duration too.
    const plain = memLog()
    await unlockAccounts({ keystoreDir, passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } }, log: plain })
    for (const l of plain.lines) expect((l.obj as { ms: number }).ms).toBeGreaterThanOrEqual(0)
  })

  test('a password file readable by others is used with a warning; the given limiter derives the keys', async () => {
    const { root, keystoreDir } = await setup()
    const passwordFile = join(root, 'pw.txt')
    writeFileSync(passwordFile, 'pw\n', { mode: 0o644 })
    const log = memLog()
    const inner = createKdfLimiter(1)
    let runs = 0
    const accounts = await unlockAccounts({
      keystoreDir,
      passphraseSource: { passwordFile },
      log,
      limiter: {
        run: (fn) => {
          runs++
          return inner.run(fn)
        },
      },
    })
    expect(accounts).toHaveLength(2)
    expect(runs).toBe(2)
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        obj: {},
        msg: `password file ${passwordFile} is readable by other users; consider chmod 600 '${passwordFile}'`,
      },
    ])
  })

  test('the terminal: a bounded number of attempts, each wrong one logged; every answer is wiped', async () => {
    const { keystoreDir } = await setup()
    const p = prompter('a', 'b', 'c', 'd')
    const log = memLog()
    const err = await unlockAccounts({
      keystoreDir,
      passphraseSource: { prompt: p.prompt },
      log,
      promptAttempts: 2,
    }).catch((e) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    const [first] = listKeystoreFiles(keystoreDir)
    expect(err.shortMessage).toMatch(
      /^Could not decrypt 0x[0-9a-fA-F]{40} \(.+\): wrong passphrase \(2 attempts\)$/,
    )
    expect(err.shortMessage).toContain(first)
    expect(p.asked).toHaveLength(2)
    expect(p.asked[0]).toMatch(/^Passphrase for 0x[0-9a-fA-F]{40} \(.+\): $/)
    expect(log.lines).toEqual([
      { level: 'warn', obj: { file: first }, msg: 'wrong passphrase' },
      { level: 'warn', obj: { file: first }, msg: 'wrong passphrase' },
    ])
    for (const b of p.given) expect(b.every((x) => x === 0)).toBe(true)
    // Three attempts by default; the third may be right.
    const q = prompter('x', 'y', 'pw', 'pw')
    const ok = await unlockAccounts({ keystoreDir, passphraseSource: { prompt: q.prompt }, log: memLog() })
    expect(ok).toHaveLength(2)
    expect(q.asked).toHaveLength(4)
    for (const b of q.given) expect(b.every((x) => x === 0)).toBe(true)
  })

  test('a stale or unreadable remembered passphrase: one warning, then the terminal', async () => {
    const { keystoreDir } = await setup()
    const keychain = fakeKeychain()
    const rememberedDir = join(keystoreDir, '..', 'elsewhere')
    const vault = createPassphraseVault({ keychain, dir: rememberedDir })
    await vault.remember(ADDR1, Buffer.from('old pass'))
    await vault.remember(ADDR2, Buffer.from('pw'))
    // The second envelope no longer opens.
    const env2 = join(rememberedDir, `${ADDR2.toLowerCase()}.json`)
    const sealed = JSON.parse(readFileSync(env2, 'utf8'))
    writeFileSync(env2, JSON.stringify({ ...sealed, tag: '00'.repeat(16) }), { mode: 0o600 })
    const p = prompter('pw', 'pw')
    const log = memLog()
    const accounts = await unlockAccounts({
      keystoreDir,
      passphraseSource: { prompt: p.prompt },
      keychain,
      rememberedDir,
      log,
    })
    expect(accounts).toHaveLength(2)
    expect(unlockedSources(log)).toEqual(['terminal', 'terminal'])
    const warns = log.lines.filter((l) => l.level === 'warn')
    expect(warns).toHaveLength(2)
    const byAddress = Object.fromEntries(
      warns.map((w) => [(w.obj as { address: string }).address.toLowerCase(), w.msg]),
    )
    expect(byAddress[ADDR1.toLowerCase()]).toBe(
      'the remembered passphrase no longer decrypts this account; asking instead',
    )
    expect(byAddress[ADDR2.toLowerCase()]).toMatch(/^The remembered passphrase for 0x.* could not be opened/)
  })

  test('an available keychain with nothing remembered: no warning, the terminal', async () => {
    const { keystoreDir } = await setup()
    const p = prompter('pw', 'pw')
    const log = memLog()
    await unlockAccounts({
      keystoreDir,
      passphraseSource: { prompt: p.prompt },
      keychain: fakeKeychain(),
      log,
    })
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([])
    expect(unlockedSources(log)).toEqual(['terminal', 'terminal'])
  })

  test('a keychain unavailable without a reason is still named', async () => {
    const { keystoreDir } = await setup()
    const keychain: Keychain = {
      available: async () => false,
      unavailableReason: () => undefined,
      get: async () => null,
      set: async () => {},
      delete: async () => false,
    }
    const log = memLog()
    await unlockAccounts({
      keystoreDir,
      passphraseSource: { prompt: prompter('pw', 'pw').prompt },
      keychain,
      log,
    })
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['OS keychain unavailable'])
  })

  test('accounts already unlocked are not decrypted again; the same account twice is refused', async () => {
    const { keystoreDir } = await setup()
    const [f1, f2] = listKeystoreFiles(keystoreDir) as [string, string]
    const first = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
    })
    const pre = new Map([[f1, first[0]!]])
    const log = memLog()
    const again = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log,
      alreadyUnlocked: pre,
    })
    expect(again[0]).toBe(first[0])
    expect(again.map((a) => a.address)).toEqual(first.map((a) => a.address))
    expect(log.lines.filter((l) => l.msg === 'account unlocked')).toHaveLength(1)
    const twice = new Map([
      [f1, first[0]!],
      [f2, first[0]!],
    ])
    const err = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
      alreadyUnlocked: twice,
    }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toBe(`Account ${first[0]!.address} appears twice`)
  })

  test('two files of one account are refused, naming both; keys decrypted so far are wiped', async () => {
    const { keystoreDir } = await setup()
    const [f1] = listKeystoreFiles(keystoreDir) as [string]
    const copy = join(keystoreDir, 'zz-copy')
    copyFileSync(f1, copy)
    const keys: Uint8Array[] = []
    const alloc = Buffer.alloc.bind(Buffer)
    vi.spyOn(Buffer, 'alloc').mockImplementation(((size: number) => {
      const b = alloc(size)
      if (size === 32) keys.push(b)
      return b
    }) as typeof Buffer.alloc)
    const err = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
    }).catch((e) => e)
    vi.restoreAllMocks()
    expect(err).toBeInstanceOf(KeystoreError)
    const address = JSON.parse(readFileSync(f1, 'utf8')).address
    expect(err.shortMessage.toLowerCase()).toBe(
      `account 0x${address} appears twice: ${f1} and ${copy}`.toLowerCase(),
    )
    expect(keys.length).toBeGreaterThanOrEqual(3)
    expect(keys.filter((k) => k.some((b) => b !== 0))).toEqual([])
  })

  test('a malformed file and a file refused after decryption are named', async () => {
    const { keystoreDir } = await setup()
    const bad = join(keystoreDir, 'aa-bad')
    writeFileSync(bad, '{"version":3}', { mode: 0o600 })
    const err = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
    }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toBe(`${bad}: Refusing keystore: missing "crypto" object`)
    // An address field that is not the key's: refused as such, not as a wrong passphrase.
    const [f1] = listKeystoreFiles(keystoreDir).filter((f) => f !== bad) as [string]
    const swapped = JSON.parse(readFileSync(f1, 'utf8'))
    swapped.address = ADDR2.slice(2).toLowerCase() === swapped.address ? ADDR1.slice(2) : ADDR2.slice(2)
    writeFileSync(bad, JSON.stringify(swapped), { mode: 0o600 })
    const refused = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: 'pw' } },
      log: memLog(),
    }).catch((e) => e)
    expect(refused).toBeInstanceOf(KeystoreError)
    expect(refused).not.toBeInstanceOf(WrongPassphraseError)
    expect(refused.shortMessage).toMatch(new RegExp(`^${bad}: Refusing keystore: its address field says`))
  })
})
