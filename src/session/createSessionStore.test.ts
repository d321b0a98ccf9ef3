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

const B = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const C = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

test('an empty sessions file is no corruption: it is left alone and grants start empty', () => {
  const d = dir()
  const file = join(d, 'sessions.json')
  writeFileSync(file, '')
  const corrupt: string[] = []
  const s = createSessionStore({ file, defaultChainId: () => 1, onCorrupt: (f) => corrupt.push(f) })
  expect(s.list()).toEqual([])
  expect(corrupt).toEqual([])
  expect(readdirSync(d)).toEqual(['sessions.json'])
})

test('a session without a string origin makes the file corrupt (set aside, nothing loaded)', () => {
  const d = dir()
  const file = join(d, 'sessions.json')
  const good = {
    origin: 'https://a.example',
    accounts: [A],
    chainId: 1,
    createdAt: 1,
    lastUsedAt: 1,
    grantedAt: 1,
  }
  writeFileSync(file, JSON.stringify({ version: 1, sessions: [good, { ...good, origin: 42 }] }))
  const corrupt: string[] = []
  const s = createSessionStore({ file, defaultChainId: () => 1, onCorrupt: (f) => corrupt.push(f) })
  expect(corrupt).toEqual([file])
  expect(s.isPermitted('https://a.example', A)).toBe(false)
  expect(existsSync(file)).toBe(false)
})

test('the file keeps only sessions worth keeping: a grant, another chain, or a remembered choice', () => {
  const file = join(dir(), 'sessions.json')
  const s = createSessionStore({ file, defaultChainId: () => 31337, now: () => 5 })
  s.get('https://visited.example')
  s.grantAccounts('https://granted.example', [A])
  s.setChain('https://chain.example', 10)
  s.grantAccounts('https://revoked.example', [B])
  s.revoke('https://revoked.example')
  s.grantAccounts('https://empty.example', []) // a grant of no accounts is still a grant
  s.setChain('https://visited.example', 31337) // no change: nothing written for it
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    sessions: { origin: string; lastAccounts?: string[] }[]
  }
  expect(saved.sessions.map((x) => x.origin).sort()).toEqual([
    'https://chain.example',
    'https://empty.example',
    'https://granted.example',
    'https://revoked.example',
  ])
  expect(saved.sessions.find((x) => x.origin === 'https://revoked.example')?.lastAccounts).toEqual([B])
})

test('a new session has no accounts and the default chain; list() holds only granted sessions', () => {
  const s = createSessionStore({ defaultChainId: () => 7, now: () => 100 })
  expect(s.get('https://new.example')).toEqual({
    origin: 'https://new.example',
    accounts: [],
    chainId: 7,
    createdAt: 100,
    lastUsedAt: 100,
    grantedAt: null,
  })
  s.setChain('https://chain.example', 10)
  s.grantAccounts('https://granted.example', [A])
  expect(s.list().map((x) => x.origin)).toEqual(['https://granted.example'])
})

test('isPermitted is false for an account the origin was not granted', () => {
  const s = createSessionStore({ defaultChainId: () => 1 })
  s.grantAccounts('https://a.example', [A])
  expect(s.isPermitted('https://a.example', B)).toBe(false)
  expect(s.isPermitted('https://other.example', A)).toBe(false)
})

test('accountsChanged only when what the origin sees changed; chainChanged only on a new chain; unsubscribe', () => {
  const changes: SessionChange[] = []
  const s = createSessionStore({ defaultChainId: () => 1 })
  const off = s.onChange((c) => changes.push(c))
  s.grantAccounts('https://a.example', [A])
  s.grantAccounts('https://a.example', [A.toLowerCase() as `0x${string}`]) // same account, other case
  expect(changes).toHaveLength(1)
  s.grantAccounts('https://a.example', [B]) // same length, other account
  s.grantAccounts('https://a.example', [B, A]) // longer
  s.grantAccounts('https://a.example', [A, B]) // same accounts, other order: what the origin sees changed
  s.grantAccounts('https://a.example', [A, C]) // one of two changed
  expect(changes.map((c) => (c.kind === 'accountsChanged' ? c.accounts : c))).toEqual([
    [A],
    [B],
    [B, A],
    [A, B],
    [A, C],
  ])
  expect(s.peek('https://a.example')?.lastAccounts).toEqual([A, C])
  s.setChain('https://a.example', 1) // the default already
  s.setChain('https://a.example', 5)
  s.setChain('https://a.example', 5)
  expect(changes.filter((c) => c.kind === 'chainChanged')).toEqual([
    { kind: 'chainChanged', origin: 'https://a.example', chainId: 5 },
  ])
  off()
  s.revoke('https://a.example')
  expect(changes).toHaveLength(6)
})
