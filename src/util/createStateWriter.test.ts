import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { createWatchedAssetStore } from '../assets/createWatchedAssetStore.js'
import { RpcError } from '../errors/rpc.js'
import { toJsonRpcError } from '../errors/toJsonRpcError.js'
import { createSessionStore } from '../session/createSessionStore.js'
import { createAddedChainStore } from '../upstream/createAddedChainStore.js'
import { createStateWriter } from './createStateWriter.js'
import { writeFileAtomic } from './writeFileAtomic.js'

const A1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const A2 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code })
}

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('state writes on a full disk (ENOSPC injected): a clear -32603, logged once, the previous state kept', () => {
  test('the writer names the cause (never the path), logs once per file until it recovers', () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-state-'))
    let full = true
    const failing: string[] = []
    const recovered: string[] = []
    const write = createStateWriter({
      onFailing: (file) => failing.push(file),
      onRecovered: (file) => recovered.push(file),
      write: (file, data) => {
        if (full) throw fsError('ENOSPC')
        writeFileAtomic(file, data)
      },
    })
    const file = join(dir, 'sessions.json')
    for (let i = 0; i < 3; i++) {
      let caught: unknown
      try {
        write(file, '{}')
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(RpcError)
      const wire = toJsonRpcError(caught)
      expect(wire).toEqual({
        code: -32603,
        message:
          'walletd could not save its state: no space left on the device (ENOSPC). Nothing was changed; try again once the data directory can be written.',
        data: { reason: 'state-not-saved', code: 'ENOSPC' },
      })
      expect(JSON.stringify(wire)).not.toContain(dir)
    }
    expect(failing).toEqual([file])
    full = false
    write(file, '{"ok":1}')
    write(file, '{"ok":2}')
    expect(recovered).toEqual([file])
    expect(readFileSync(file, 'utf8')).toBe('{"ok":2}')
  })

  test('session store: a grant or chain switch that cannot be saved does not take effect; a revoke still does', () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-state-'))
    const file = join(dir, 'sessions.json')
    let error: string | null = null
    const write = createStateWriter({
      write: (f, data) => {
        if (error) throw fsError(error)
        writeFileAtomic(f, data)
      },
    })
    const store = createSessionStore({ file, defaultChainId: () => 1, write })
    const changes: string[] = []
    store.onChange((c) => changes.push(`${c.kind} ${c.origin}`))
    store.grantAccounts('https://a.example', [A1])
    const saved = readFileSync(file, 'utf8')

    error = 'ENOSPC'
    expect(() => store.grantAccounts('https://b.example', [A2])).toThrow(/no space left/)
    expect(store.isPermitted('https://b.example', A2)).toBe(false)
    expect(store.peek('https://b.example')).toBeUndefined()
    expect(() => store.grantAccounts('https://a.example', [A2])).toThrow(/ENOSPC/)
    expect(store.isPermitted('https://a.example', A1)).toBe(true)
    expect(store.isPermitted('https://a.example', A2)).toBe(false)
    error = 'EROFS'
    expect(() => store.setChain('https://a.example', 5)).toThrow(/read-only file system \(EROFS\)/)
    expect(store.view('https://a.example').chainId).toBe(1)
    expect(changes).toEqual(['accountsChanged https://a.example'])
    expect(readFileSync(file, 'utf8')).toBe(saved)

    // Revoking fails closed: the grant is gone now, though the file still has it.
    expect(() => store.revoke('https://a.example')).toThrow(/EROFS/)
    expect(store.isPermitted('https://a.example', A1)).toBe(false)
    expect(changes.at(-1)).toBe('accountsChanged https://a.example')

    error = null
    store.grantAccounts('https://b.example', [A2])
    const reloaded = createSessionStore({ file, defaultChainId: () => 1 })
    expect(reloaded.isPermitted('https://b.example', A2)).toBe(true)
    expect(reloaded.isPermitted('https://a.example', A1)).toBe(false)
  })

  test('added chains and watched assets: a save that fails leaves the list and the file as they were', () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-state-'))
    let full = false
    const write = createStateWriter({
      write: (f, data) => {
        if (full) throw fsError('ENOSPC')
        writeFileAtomic(f, data)
      },
    })
    const chain = (chainId: number) => ({
      chainId,
      name: `Chain ${chainId}`,
      rpcUrls: ['https://rpc.example'],
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      blockExplorerUrls: [],
    })
    const chains = createAddedChainStore({ file: join(dir, 'chains.json'), write })
    const assets = createWatchedAssetStore({ file: join(dir, 'assets.json'), write })
    const asset = (address: `0x${string}`) => ({
      chainId: 1,
      address,
      symbol: 'TKN',
      decimals: 18,
      name: null,
      image: null,
      addedBy: 'https://a.example',
    })
    chains.add(chain(5), 'https://a.example')
    assets.watch(asset(A1))
    const before = [
      readFileSync(join(dir, 'chains.json'), 'utf8'),
      readFileSync(join(dir, 'assets.json'), 'utf8'),
    ]
    full = true
    expect(() => chains.add(chain(6), 'https://a.example')).toThrow(/ENOSPC/)
    expect(() => assets.watch(asset(A2))).toThrow(/ENOSPC/)
    expect(chains.list().map((c) => c.chainId)).toEqual([5])
    expect(assets.list().map((a) => a.address)).toEqual([A1])
    expect([
      readFileSync(join(dir, 'chains.json'), 'utf8'),
      readFileSync(join(dir, 'assets.json'), 'utf8'),
    ]).toEqual(before)
  })
})
