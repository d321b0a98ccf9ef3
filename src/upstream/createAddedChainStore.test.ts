import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createAddedChainStore } from './createAddedChainStore.js'

const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'walletd-chains-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const chain = (chainId: number, name = `Chain ${chainId}`) => ({
  chainId,
  name,
  rpcUrls: ['https://rpc.example'],
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  blockExplorerUrls: [],
})

test('added chains persist across restarts (0600, atomic), with who asked and when', () => {
  const file = join(dir(), 'chains.json')
  const s1 = createAddedChainStore({ file, now: () => 42 })
  s1.add(chain(4242), 'https://app.example')
  s1.add(chain(4242, 'Renamed'), 'https://other.example')
  s1.add(chain(5), 'https://app.example')
  expect(statSync(file).mode & 0o777).toBe(0o600)
  const s2 = createAddedChainStore({ file })
  expect(s2.list()).toEqual([
    { ...chain(4242, 'Renamed'), addedBy: 'https://other.example', addedAt: 42 },
    { ...chain(5), addedBy: 'https://app.example', addedAt: 42 },
  ])
  expect(s2.size).toBe(2)
})

test('in memory without a file', () => {
  const s = createAddedChainStore()
  s.add(chain(1), 'https://a.example')
  expect(s.list().map((c) => c.chainId)).toEqual([1])
})

test('a corrupt or malformed file is set aside and the list starts empty', () => {
  const d = dir()
  const file = join(d, 'chains.json')
  for (const content of [
    '{ not json',
    JSON.stringify({ version: 1, chains: [{ chainId: 'x' }] }),
    JSON.stringify({
      version: 1,
      chains: [{ ...chain(1), rpcUrls: ['file:///etc/passwd'], addedBy: 'a', addedAt: 1 }],
    }),
    JSON.stringify({ version: 2, chains: [] }),
  ]) {
    writeFileSync(file, content)
    let moved = ''
    const s = createAddedChainStore({ file, onCorrupt: (_f, to) => (moved = to) })
    expect(s.list()).toEqual([])
    expect(moved).toMatch(/chains\.json\.corrupt-\d+-[0-9a-f]{6}$/)
    expect(readFileSync(moved, 'utf8')).toBe(content)
    expect(existsSync(file)).toBe(false)
  }
})
