import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { KeystoreError } from '../../errors/startup.js'
import { createKeychain, type KeychainBackend, KeychainUnavailableError } from './createKeychain.js'
import { createPassphraseVault } from './createPassphraseVault.js'

const ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

function fakeBackend() {
  const store = new Map<string, Uint8Array>()
  const backend: KeychainBackend = {
    async get(service, account) {
      const v = store.get(`${service}/${account}`)
      return v ? Uint8Array.from(v) : null
    },
    async set(service, account, secret) {
      store.set(`${service}/${account}`, Uint8Array.from(secret))
    },
    async delete(service, account) {
      return store.delete(`${service}/${account}`)
    },
  }
  return { store, backend }
}

describe('createKeychain (injected backend)', () => {
  test('get/set/delete under service walletd', async () => {
    const { store, backend } = fakeBackend()
    const kc = createKeychain({ loadBackend: async () => backend })
    expect(await kc.available()).toBe(true)
    expect(await kc.get('a')).toBeNull()
    await kc.set('a', new Uint8Array([1, 2, 3]))
    expect([...store.keys()]).toEqual(['walletd/a'])
    expect([...((await kc.get('a')) ?? [])]).toEqual([1, 2, 3])
    expect(await kc.delete('a')).toBe(true)
    expect(await kc.delete('a')).toBe(false)
  })

  test('a library that fails to load: unavailable, one clear line, calls throw', async () => {
    const kc = createKeychain({
      loadBackend: async () => {
        throw new Error('libsecret-1.so.0: cannot open shared object file\nstack...')
      },
    })
    expect(await kc.available()).toBe(false)
    const reason = kc.unavailableReason()
    expect(reason).toMatch(/^OS keychain unavailable \(libsecret-1\.so\.0: cannot open shared object file\)/)
    expect(reason).not.toContain('\n')
    await expect(kc.get('a')).rejects.toThrow(KeychainUnavailableError)
  })

  test('a store that never answers is bounded by the timeout', async () => {
    const kc = createKeychain({
      timeoutMs: 50,
      loadBackend: async () => ({
        get: () => new Promise(() => {}),
        set: () => new Promise(() => {}),
        delete: () => new Promise(() => {}),
      }),
    })
    expect(await kc.available()).toBe(false)
    expect(kc.unavailableReason()).toMatch(/did not answer within 50 ms/)
  })
})

describe('createPassphraseVault', () => {
  test('keychain holds a wrapping key, the file holds the sealed passphrase; recall and forget', async () => {
    const { store, backend } = fakeBackend()
    const kc = createKeychain({ loadBackend: async () => backend })
    const dir = join(mkdtempSync(join(tmpdir(), 'walletd-vault-')), 'remembered')
    const vault = createPassphraseVault({ keychain: kc, dir })
    expect(await vault.recall(ADDRESS)).toBeNull()
    await vault.remember(ADDRESS, Buffer.from('correct horse'))
    const secret = store.get(`walletd/${ADDRESS.toLowerCase()}`)
    expect(secret).toHaveLength(32)
    expect(Buffer.from(secret!).toString('utf8')).not.toContain('correct horse')
    const file = join(dir, `${ADDRESS.toLowerCase()}.json`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).not.toContain(Buffer.from('correct horse').toString('hex'))
    expect((await vault.recall(ADDRESS))?.toString('utf8')).toBe('correct horse')
    // Bound to the address: the envelope under another name does not open.
    const other = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
    writeFileSync(join(dir, `${other.toLowerCase()}.json`), readFileSync(file), { mode: 0o600 })
    store.set(`walletd/${other.toLowerCase()}`, secret!)
    await expect(vault.recall(other)).rejects.toThrow(KeystoreError)
    expect(await vault.forget(ADDRESS)).toEqual({ keychain: true, file: true })
    expect(await vault.recall(ADDRESS)).toBeNull()
    expect(await vault.forget(ADDRESS)).toEqual({ keychain: false, file: false })
  })
})

describe('createKeychain: details', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('a custom service; the probe reads one fixed account, once, loading the library once', async () => {
    const { store, backend } = fakeBackend()
    const reads: string[] = []
    let loads = 0
    const kc = createKeychain({
      service: 'other',
      loadBackend: async () => {
        loads++
        return {
          ...backend,
          get: (service, account, signal) => {
            reads.push(`${service}/${account}`)
            return backend.get(service, account, signal)
          },
        }
      },
    })
    expect(kc.unavailableReason()).toBeUndefined()
    await kc.set('a', new Uint8Array([9]))
    expect(await kc.available()).toBe(true)
    expect([...((await kc.get('a')) ?? [])]).toEqual([9])
    expect([...store.keys()]).toEqual(['other/a'])
    expect(reads).toEqual(['other/__walletd_probe__', 'other/a'])
    expect(loads).toBe(1)
    expect(kc.unavailableReason()).toBeUndefined()
  })

  test('the reason: a non-Error, a long line cut to 160 characters, an empty message', async () => {
    const reasonFor = async (thrown: unknown) => {
      const kc = createKeychain({
        loadBackend: async () => {
          throw thrown
        },
      })
      expect(await kc.available()).toBe(false)
      return kc.unavailableReason()
    }
    const tail = '; using --password-file, WALLETD_PASSWORD or the terminal instead'
    expect(await reasonFor('plain string')).toBe(`OS keychain unavailable (plain string)${tail}`)
    expect(await reasonFor(new Error(`  ${'x'.repeat(160)}  \nmore`))).toBe(
      `OS keychain unavailable (${'x'.repeat(160)})${tail}`,
    )
    expect(await reasonFor(new Error('y'.repeat(161)))).toBe(
      `OS keychain unavailable (${'y'.repeat(157)}...)${tail}`,
    )
    expect(await reasonFor(new Error(''))).toBe(`OS keychain unavailable (unknown error)${tail}`)
    expect(await reasonFor(new Error('\nsecond line only'))).toBe(
      `OS keychain unavailable (unknown error)${tail}`,
    )
  })

  test('calls after an unavailable probe throw KeychainUnavailableError with the reason', async () => {
    const kc = createKeychain({
      loadBackend: async () => {
        throw new Error('no bus')
      },
    })
    for (const call of [() => kc.get('a'), () => kc.set('a', new Uint8Array(1)), () => kc.delete('a')]) {
      const err = await call().catch((e) => e)
      expect(err).toBeInstanceOf(KeychainUnavailableError)
      expect(err.name).toBe('KeychainUnavailableError')
      expect(err.message).toMatch(/^OS keychain unavailable \(no bus\); using/)
    }
  })

  test('every call is bounded (default 5 s) and aborts the backend call when it times out', async () => {
    vi.useFakeTimers()
    const signals: AbortSignal[] = []
    const never = (signal: AbortSignal) => {
      signals.push(signal)
      return new Promise<never>(() => {})
    }
    let probed = false
    const kc = createKeychain({
      loadBackend: async () => ({
        get: async (_s, account, signal) => {
          if (account === '__walletd_probe__' && !probed) {
            probed = true
            return null
          }
          return never(signal)
        },
        set: (_s, _a, _v, signal) => never(signal),
        delete: (_s, _a, signal) => never(signal),
      }),
    })
    expect(await kc.available()).toBe(true)
    for (const [what, call] of [
      ['get', () => kc.get('a')],
      ['set', () => kc.set('a', new Uint8Array(1))],
      ['delete', () => kc.delete('a')],
    ] as const) {
      let settled: unknown = 'pending'
      const p = (call as () => Promise<unknown>)().then(
        () => (settled = 'resolved'),
        (e: Error) => (settled = e.message),
      )
      await vi.advanceTimersByTimeAsync(4999)
      expect(settled, what).toBe('pending')
      expect(signals.at(-1)?.aborted, what).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      await p
      expect(settled, what).toBe('the OS keychain did not answer within 5000 ms')
      expect(signals.at(-1)?.aborted, what).toBe(true)
    }
  })

  test('a library that does not load in time is unavailable, with its own reason', async () => {
    const kc = createKeychain({ timeoutMs: 20, loadBackend: () => new Promise(() => {}) })
    expect(await kc.available()).toBe(false)
    expect(kc.unavailableReason()).toMatch(
      /^OS keychain unavailable \(the keychain library did not answer within 20 ms\)/,
    )
  })
})

describe('createPassphraseVault: refusals and failures', () => {
  function setup() {
    const { store, backend } = fakeBackend()
    const keychain = createKeychain({ loadBackend: async () => backend })
    const dir = join(mkdtempSync(join(tmpdir(), 'walletd-vault-')), 'remembered')
    const file = join(dir, `${ADDRESS.toLowerCase()}.json`)
    return { store, backend, keychain, dir, file, vault: createPassphraseVault({ keychain, dir }) }
  }
  const refusal = `The remembered passphrase for ${ADDRESS} could not be opened`

  test('the file without its keychain entry: nothing remembered', async () => {
    const { store, vault } = setup()
    await vault.remember(ADDRESS, Buffer.from('pw'))
    store.clear()
    expect(await vault.recall(ADDRESS)).toBeNull()
  })

  test('a changed envelope or keychain entry is refused, naming the file and the fix', async () => {
    const { store, vault, file } = setup()
    await vault.remember(ADDRESS, Buffer.from('pw'))
    const good = JSON.parse(readFileSync(file, 'utf8'))
    expect(Object.keys(good).sort()).toEqual(['address', 'ciphertext', 'iv', 'tag', 'version'])
    expect(good.version).toBe(1)
    expect(good.address).toBe(ADDRESS.toLowerCase())
    const flip = (h: string) => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}`
    for (const changed of [
      { ...good, version: 2 },
      { ...good, iv: 7 },
      { ...good, ciphertext: null },
      { ...good, tag: flip(good.tag) },
      { ...good, ciphertext: flip(good.ciphertext) },
      { ...good, iv: flip(good.iv) },
      { ...good, tag: undefined },
    ]) {
      writeFileSync(file, JSON.stringify(changed), { mode: 0o600 })
      const err = await vault.recall(ADDRESS).catch((e) => e)
      expect(err, JSON.stringify(changed)).toBeInstanceOf(KeystoreError)
      expect(err.shortMessage).toBe(
        `${refusal} (keychain entry or ${file} changed); run \`walletd account forget ${ADDRESS}\` and remember it again`,
      )
    }
    writeFileSync(file, 'not json', { mode: 0o600 })
    await expect(vault.recall(ADDRESS)).rejects.toThrow(refusal)
    writeFileSync(file, JSON.stringify(good), { mode: 0o600 })
    expect((await vault.recall(ADDRESS))?.toString()).toBe('pw')
    const key = store.get(`walletd/${ADDRESS.toLowerCase()}`)!
    key[0]! ^= 1
    await expect(vault.recall(ADDRESS)).rejects.toThrow(refusal)
  })

  test('the wrapping key read from the keychain is zeroed after use', async () => {
    const { backend, dir } = setup()
    const handedOut: Uint8Array[] = []
    const keychain = createKeychain({
      loadBackend: async () => ({
        ...backend,
        get: async (s, a, signal) => {
          const v = await backend.get(s, a, signal)
          if (v) handedOut.push(v)
          return v
        },
      }),
    })
    const vault = createPassphraseVault({ keychain, dir })
    await vault.remember(ADDRESS, Buffer.from('pw'))
    expect((await vault.recall(ADDRESS))?.toString()).toBe('pw')
    expect(handedOut).toHaveLength(1)
    expect(handedOut[0]?.every((b) => b === 0)).toBe(true)
  })

  test('a keychain that fails to store leaves no file behind', async () => {
    const { backend, dir, file } = setup()
    const keychain = createKeychain({
      loadBackend: async () => ({
        ...backend,
        set: async () => {
          throw new Error('locked')
        },
      }),
    })
    await expect(
      createPassphraseVault({ keychain, dir }).remember(ADDRESS, Buffer.from('pw')),
    ).rejects.toThrow('locked')
    expect(existsSync(file)).toBe(false)
  })

  test('a readable-by-others envelope is refused, not ignored; forget with no keychain deletes the file', async () => {
    const { vault, file, dir } = setup()
    await vault.remember(ADDRESS, Buffer.from('pw'))
    chmodSync(file, 0o644)
    await expect(vault.recall(ADDRESS)).rejects.toThrow(/mode 0644/)
    chmodSync(file, 0o600)
    const unavailable = createKeychain({
      loadBackend: async () => {
        throw new Error('no bus')
      },
    })
    expect(await createPassphraseVault({ keychain: unavailable, dir }).forget(ADDRESS)).toEqual({
      keychain: false,
      file: true,
    })
    expect(existsSync(file)).toBe(false)
  })

  test('forget: an error other than a missing file is thrown', async () => {
    const { vault, file } = setup()
    mkdirSync(file, { recursive: true })
    await expect(vault.forget(ADDRESS)).rejects.toThrow()
  })
})

describe('createKeychain: more details', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('a probe that never answers is named; an answered call leaves no timer behind', async () => {
    const kc = createKeychain({
      timeoutMs: 30,
      loadBackend: async () => ({ ...fakeBackend().backend, get: () => new Promise(() => {}) }),
    })
    expect(await kc.available()).toBe(false)
    expect(kc.unavailableReason()).toMatch(
      /^OS keychain unavailable \(the OS keychain did not answer within 30 ms\)/,
    )
    vi.useFakeTimers()
    const ok = createKeychain({ loadBackend: async () => fakeBackend().backend })
    expect(await ok.get('a')).toBeNull()
    await ok.set('a', new Uint8Array([1]))
    expect(await ok.delete('a')).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('remember zeroes the wrapping key once the keychain has it', async () => {
    const { backend } = fakeBackend()
    const handed: Uint8Array[] = []
    const keychain = createKeychain({
      loadBackend: async () => ({
        ...backend,
        set: async (s, a, v, signal) => {
          handed.push(v)
          await backend.set(s, a, v, signal)
        },
      }),
    })
    const dir = join(mkdtempSync(join(tmpdir(), 'walletd-vault-')), 'remembered')
    const vault = createPassphraseVault({ keychain, dir })
    await vault.remember(ADDRESS, Buffer.from('pw'))
    expect(handed).toHaveLength(1)
    expect(handed[0]?.every((b) => b === 0)).toBe(true)
    expect((await vault.recall(ADDRESS))?.toString()).toBe('pw')
  })
})
