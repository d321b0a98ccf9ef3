import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
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
