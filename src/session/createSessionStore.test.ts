import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { createSessionStore } from './createSessionStore.js'
import type { SessionChange } from './types.js'

const A = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const dir = () => mkdtempSync(join(tmpdir(), 'walletd-sessions-'))

test('grants persist across restarts (0600, atomic); declines are not stored', () => {
  const file = join(dir(), 'sessions.json')
  const s1 = createSessionStore({ file, defaultChainId: () => 31337 })
  s1.get('https://declined.example')
  s1.grantAccounts('https://a.example', [A])
  s1.setChain('https://a.example', 1)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  const s2 = createSessionStore({ file, defaultChainId: () => 31337 })
  expect(s2.isPermitted('https://a.example', A)).toBe(true)
  expect(s2.isPermitted('https://a.example', A.toLowerCase() as `0x${string}`)).toBe(true)
  expect(s2.peek('https://a.example')?.chainId).toBe(1)
  expect(s2.peek('https://declined.example')).toBeUndefined()
  expect(s2.list().map((x) => x.origin)).toEqual(['https://a.example'])
})

test('origins never share a session; revoke empties and announces', () => {
  const changes: SessionChange[] = []
  const s = createSessionStore({ defaultChainId: () => 31337 })
  s.onChange((c) => changes.push(c))
  s.grantAccounts('https://a.example', [A])
  expect(s.isPermitted('https://b.example', A)).toBe(false)
  expect(s.isPermitted('https://a.example.evil.example', A)).toBe(false)
  expect(s.revoke('https://a.example')).toBe(true)
  expect(s.revoke('https://a.example')).toBe(false)
  expect(s.isPermitted('https://a.example', A)).toBe(false)
  expect(changes.map((c) => c.kind)).toEqual(['accountsChanged', 'accountsChanged'])
  expect(changes[1]).toEqual({ kind: 'accountsChanged', origin: 'https://a.example', accounts: [] })
})

test('a corrupt sessions file is set aside and grants start empty (fail closed)', () => {
  const d = dir()
  const file = join(d, 'sessions.json')
  writeFileSync(file, '{ not json')
  let told = ''
  const s = createSessionStore({
    file,
    defaultChainId: () => 31337,
    onCorrupt: (_f, moved) => (told = moved),
  })
  expect(s.list()).toEqual([])
  expect(told).toContain('sessions.json.corrupt-')
  expect(existsSync(told)).toBe(true)
  expect(readFileSync(told, 'utf8')).toBe('{ not json')
  writeFileSync(file, JSON.stringify({ sessions: [{ origin: 'x', accounts: 'all', chainId: 1 }] }))
  const s2 = createSessionStore({ file, defaultChainId: () => 31337 })
  expect(s2.list()).toEqual([])
  expect(readdirSync(d).filter((f) => f.includes('corrupt')).length).toBe(2)
})
