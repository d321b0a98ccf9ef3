import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { hexToBytes } from 'viem/utils'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { WrongPassphraseError } from '../../src/errors/startup.js'
import { createSigner } from '../../src/signer/createSigner.js'
import type { KdfLimiter } from '../../src/signer/keystore/createKdfLimiter.js'
import { encryptKeystore, STANDARD_SCRYPT } from '../../src/signer/keystore/encryptKeystore.js'
import { writeKeystoreFile } from '../../src/signer/keystore/keystoreDir.js'
import { unlockAccounts } from '../../src/signer/unlockAccounts.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * A daemon unlocking a real standard keystore (scrypt n=2^18) after it listens: liveness answers
 * and readiness says "not yet" while the KDF runs, readiness turns true once `unlocked` resolves,
 * and the unlocked account is what eth_requestAccounts returns. A wrong passphrase rejects
 * `unlocked` and leaves nothing able to sign. State and order only: no timing is asserted.
 */
const PASSPHRASE = 'correct horse battery staple (unlock test)'
const privateKey = generatePrivateKey()
const account = privateKeyToAccount(privateKey)
let keystoreDir: string
let home: string

type Probe = { healthz: number; readyz: number; ready: unknown; kdfRunning: boolean }

async function probe(baseUrl: string, kdfRunning: () => boolean): Promise<Probe> {
  const healthz = await fetch(`${baseUrl}/healthz`)
  await healthz.arrayBuffer()
  const readyz = await fetch(`${baseUrl}/readyz`)
  const body = (await readyz.json()) as { ready?: unknown }
  return { healthz: healthz.status, readyz: readyz.status, ready: body.ready, kdfRunning: kdfRunning() }
}

/**
 * An unlock that waits for `go` (the test knows the port by then) and, around every KDF it runs,
 * probes health until that KDF settles: each probe records whether the KDF was still running when
 * its answers arrived.
 */
function probingUnlock(passphrase: string) {
  let release!: (baseUrl: string) => void
  const go = new Promise<string>((r) => {
    release = r
  })
  const probes: Probe[] = []
  let kdfs = 0
  const limiter: KdfLimiter = {
    async run(fn) {
      kdfs++
      const baseUrl = await go
      let running = true
      const kdf = fn().finally(() => {
        running = false
      })
      kdf.catch(() => {})
      for (let i = 0; i < 10_000 && running; i++) probes.push(await probe(baseUrl, () => running))
      return kdf
    },
  }
  const unlock = async () => {
    await go
    const accounts = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: passphrase } },
      keychain: null,
      log: { info: () => {}, warn: () => {} },
      limiter,
    })
    return accounts.length > 0 ? createSigner({ privateKeys: accounts.map((a) => a.privateKey) }) : null
  }
  return { unlock, release, probes, kdfs: () => kdfs }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'walletd-unlock-'))
  keystoreDir = join(home, 'keystore')
  const keystore = await encryptKeystore(hexToBytes(privateKey), PASSPHRASE, { scrypt: STANDARD_SCRYPT })
  expect(keystore.crypto.kdfparams.n).toBe(2 ** 18)
  writeKeystoreFile(keystoreDir, keystore)
})
afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('unlock after listening', () => {
  let d: TestDaemon | undefined
  afterAll(async () => {
    await d?.close()
  })

  test('healthz 200 and readyz 503 while the KDF runs; ready and connectable once unlocked', async () => {
    const approver = createScriptedApprover([], 'approve')
    const u = probingUnlock(PASSPHRASE)
    d = await startTestDaemon({ signer: null, approver, unlock: u.unlock })
    let settled = false
    const unlocked = d.daemon.unlocked.finally(() => {
      settled = true
    })

    // Listening, unlock not finished: alive, not ready, nothing to sign with.
    const before = await probe(d.baseUrl, () => false)
    expect(before).toMatchObject({ healthz: 200, readyz: 503, ready: false })
    expect(settled).toBe(false)
    expect(d.daemon.services.signer).toBeNull()

    u.release(d.baseUrl)
    await unlocked
    expect(u.kdfs()).toBe(1)
    const during = u.probes.filter((p) => p.kdfRunning)
    expect(during.length).toBeGreaterThan(0)
    for (const p of during) expect(p).toMatchObject({ healthz: 200, readyz: 503, ready: false })

    const after = await probe(d.baseUrl, () => false)
    expect(after).toMatchObject({ healthz: 200, readyz: 200, ready: true })
    expect(d.daemon.services.signer?.accounts()).toEqual([account.address])

    const client = await d.connect()
    const accounts = await client.call('eth_requestAccounts')
    expect(accounts.result).toEqual([account.address.toLowerCase()])
    expect(approver.seen.map((r) => r.method)).toEqual(['eth_requestAccounts'])
    await client.close()
  })
})

describe('unlock with a wrong passphrase', () => {
  let d: TestDaemon | undefined
  afterAll(async () => {
    await d?.close()
  })

  test('unlocked rejects with WrongPassphraseError; nothing can sign; readyz stays 503', async () => {
    const approver = createScriptedApprover([], 'approve')
    const u = probingUnlock(`${PASSPHRASE}!`)
    d = await startTestDaemon({ signer: null, approver, unlock: u.unlock })
    u.release(d.baseUrl)
    const failure = await d.daemon.unlocked.then(
      () => null,
      (err: unknown) => err,
    )
    expect(failure).toBeInstanceOf(WrongPassphraseError)
    expect((failure as { code?: unknown }).code).toBe('WALLETD_ERR_WRONG_PASSPHRASE')
    expect(u.kdfs()).toBe(1)
    expect(d.daemon.services.signer).toBeNull()

    expect(await probe(d.baseUrl, () => false)).toMatchObject({ healthz: 200, readyz: 503, ready: false })
    const client = await d.connect()
    // There is no account to connect, and signing with the keystore's address is 4100.
    const accounts = await client.call('eth_requestAccounts')
    expect(accounts.error?.code).toBe(4100)
    expect(accounts.result).toBeUndefined()
    const signed = await client.call('personal_sign', ['0x68656c6c6f', account.address])
    expect(signed.error?.code).toBe(4100)
    expect(signed.result).toBeUndefined()
    await client.close()
  })
})

/** Connect and signing requests a locked walletd refuses (valid params: the refusal is the lock). */
const typedData = {
  types: {
    EIP712Domain: [
      { name: 'name', type: 'string' },
      { name: 'chainId', type: 'uint256' },
    ],
    Mail: [{ name: 'contents', type: 'string' }],
  },
  primaryType: 'Mail',
  domain: { name: 'unlock test', chainId: 31337 },
  message: { contents: 'hello' },
}
const LOCKED_REFUSALS: Array<[string, unknown[]]> = [
  ['eth_requestAccounts', []],
  ['wallet_requestPermissions', [{ eth_accounts: {} }]],
  ['personal_sign', ['0x68656c6c6f', account.address]],
  ['eth_signTypedData_v4', [account.address, typedData]],
  ['eth_signTypedData_v3', [account.address, typedData]],
  ['eth_sendTransaction', [{ from: account.address, to: account.address, value: '0x1' }]],
]

/** What a granted origin sees while walletd is locked: no account anywhere, 4100 `locked`, no prompt. */
async function expectLocked(client: RpcClient, approver: ReturnType<typeof createScriptedApprover>) {
  expect((await client.call('eth_accounts')).result).toEqual([])
  expect((await client.call('eth_coinbase')).result).toBeNull()
  expect((await client.call('wallet_getPermissions')).result).toEqual([])
  for (const [method, params] of LOCKED_REFUSALS) {
    const res = await client.call(method, params)
    expect(res.error, method).toMatchObject({ code: 4100, data: { reason: 'locked' } })
    expect(res.error!.message).toContain('walletd is locked')
    expect(res.result).toBeUndefined()
  }
  expect(approver.seen).toEqual([])
}

describe('a locked walletd gives out no account, even to an origin with a saved grant', () => {
  let d: TestDaemon | undefined
  afterEach(async () => {
    await d?.close()
    d = undefined
  })

  test('during the unlock: eth_accounts [] and connect/sign 4100 locked; the grant is back once unlocked', async () => {
    const approver = createScriptedApprover([], 'approve')
    const u = probingUnlock(PASSPHRASE)
    d = await startTestDaemon({ signer: null, approver, unlock: u.unlock })
    // A grant saved by an earlier run (the session store is what sessions.json is loaded into).
    d.daemon.services.sessions.grantAccounts(TEST_ORIGIN, [account.address])
    const client = await d.connect()
    await expectLocked(client, approver)

    u.release(d.baseUrl)
    await d.daemon.unlocked
    const pushed = await client.waitForNotification((n) => n.method === 'walletd_accountsChanged')
    expect(pushed.params).toEqual([[account.address.toLowerCase()]])
    expect((await client.call('eth_accounts')).result).toEqual([account.address.toLowerCase()])
    // The saved grant answers eth_requestAccounts without a prompt now.
    expect((await client.call('eth_requestAccounts')).result).toEqual([account.address.toLowerCase()])
    expect(approver.seen).toEqual([])
    await client.close()
  })

  test('after a failed unlock: the same, for as long as the daemon runs', async () => {
    const approver = createScriptedApprover([], 'approve')
    const u = probingUnlock(`${PASSPHRASE}?`)
    d = await startTestDaemon({ signer: null, approver, unlock: u.unlock })
    d.daemon.services.sessions.grantAccounts(TEST_ORIGIN, [account.address])
    u.release(d.baseUrl)
    await expect(d.daemon.unlocked).rejects.toBeInstanceOf(WrongPassphraseError)
    const client = await d.connect()
    await expectLocked(client, approver)
    await client.close()
  })
})
