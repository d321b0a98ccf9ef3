import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createWatchedAssetStore } from './createWatchedAssetStore.js'

const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'walletd-assets-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const asset = (chainId = 1, symbol = 'TT') => ({
  chainId,
  address: TOKEN as `0x${string}`,
  symbol,
  decimals: 6,
  name: 'Test Token',
  image: null,
  addedBy: 'https://app.example',
})

test('watched assets persist per chain and address (0600, atomic); watching again updates', () => {
  const file = join(dir(), 'assets.json')
  const s1 = createWatchedAssetStore({ file, now: () => 7 })
  s1.watch(asset(1))
  s1.watch(asset(1, 'NEW'))
  s1.watch(asset(2))
  expect(statSync(file).mode & 0o777).toBe(0o600)
  const s2 = createWatchedAssetStore({ file })
  expect(s2.size).toBe(2)
  expect(s2.get(1, TOKEN.toLowerCase() as `0x${string}`)).toEqual({ ...asset(1, 'NEW'), addedAt: 7 })
  expect(s2.get(3, TOKEN)).toBeUndefined()
})

test('a corrupt file is set aside and the list starts empty', () => {
  const file = join(dir(), 'assets.json')
  writeFileSync(file, JSON.stringify({ version: 1, assets: [{ chainId: 1, address: 'nope' }] }))
  let moved = ''
  const s = createWatchedAssetStore({ file, onCorrupt: (_f, to) => (moved = to) })
  expect(s.list()).toEqual([])
  expect(readFileSync(moved, 'utf8')).toContain('nope')
})
