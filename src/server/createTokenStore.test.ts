import { createHash, createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { createTokenStore } from './createTokenStore.js'

const file = () => join(mkdtempSync(join(tmpdir(), 'walletd-tokens-')), 'tokens.json')

test('a created token verifies; it is stored only as a hash, 0600', () => {
  const f = file()
  const store = createTokenStore({ file: f })
  const { token } = store.create('host')
  expect(store.verify(token, 'https://app.example')).toBe('host')
  expect(store.verify(token, null)).toBe('host')
  const text = readFileSync(f, 'utf8')
  expect(text).not.toContain(token)
  expect(text).not.toContain(token.slice(4))
  expect(statSync(f).mode & 0o777).toBe(0o600)
})

test('wrong, malformed and revoked tokens do not verify', () => {
  const store = createTokenStore({ file: file() })
  const { token } = store.create('host')
  const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
  expect(store.verify(wrong, null)).toBeNull()
  expect(store.verify('wdt_short', null)).toBeNull()
  expect(store.verify(undefined, null)).toBeNull()
  expect(store.revoke('host')).toBe(true)
  expect(store.verify(token, null)).toBeNull()
  expect(store.revoke('host')).toBe(false)
})

test('a second store on the same file sees creates and revokes at its next refresh (running daemon)', () => {
  const f = file()
  const cli = createTokenStore({ file: f })
  const daemon = createTokenStore({ file: f })
  const { token } = cli.create('late')
  // verify reads no file: the daemon sees the new token at its next watch tick.
  expect(daemon.verify(token, null)).toBeNull()
  daemon.refresh()
  expect(daemon.verify(token, null)).toBe('late')
  expect(daemon.list().map((t) => t.name)).toEqual(['late'])
  cli.revoke('late')
  daemon.refresh()
  expect(daemon.verify(token, null)).toBeNull()
})

test('generation changes with every change of the records, and only then', () => {
  const f = file()
  const cli = createTokenStore({ file: f })
  const daemon = createTokenStore({ file: f })
  const g0 = daemon.generation
  daemon.refresh()
  expect(daemon.generation).toBe(g0)
  cli.create('one')
  daemon.refresh()
  const g1 = daemon.generation
  expect(g1).not.toBe(g0)
  daemon.refresh()
  expect(daemon.generation).toBe(g1)
  cli.revoke('one')
  daemon.refresh()
  expect(daemon.generation).not.toBe(g1)
  const g2 = daemon.generation
  daemon.create('two')
  expect(daemon.generation).not.toBe(g2)
  unlinkSync(f)
  const g3 = daemon.generation
  daemon.refresh()
  expect(daemon.generation).not.toBe(g3)
})

test('verify touches no file; a corrupt file authorises nobody from the next refresh on', () => {
  const f = file()
  const store = createTokenStore({ file: f })
  const { token } = store.create('host')
  rmSync(f)
  expect(store.verify(token, null)).toBe('host')
  writeFileSync(f, '{ not json', { mode: 0o600 })
  store.refresh()
  expect(store.verify(token, null)).toBeNull()
  expect(store.list()).toEqual([])
  // A store created on a corrupt file starts empty, too.
  expect(createTokenStore({ file: f }).verify(token, null)).toBeNull()
})

test('origin-bound tokens only speak for their origins', () => {
  const store = createTokenStore({ file: file() })
  const { token } = store.create('bound', { origins: ['https://a.example'] })
  expect(store.verify(token, 'https://a.example')).toBe('bound')
  expect(store.verify(token, 'https://b.example')).toBeNull()
  expect(store.verify(token, null)).toBeNull()
})

test('names are validated and not silently replaced', () => {
  const store = createTokenStore({ file: file() })
  expect(() => store.create('bad name')).toThrow(/Invalid token name/)
  store.create('x')
  expect(() => store.create('x')).toThrow(/already exists/)
  expect(store.list().map((t) => t.name)).toEqual(['x'])
  expect(JSON.stringify(store.list())).not.toContain('hash')
})

test('a tokens.json that stops parsing authorises nobody (fail closed), until it is valid again', () => {
  const f = file()
  const store = createTokenStore({ file: f })
  const { token } = store.create('host')
  const good = readFileSync(f, 'utf8')
  expect(store.verify(token, null)).toBe('host')
  // Each bad content follows the good file (and has another size), so the store sees each change
  // at its next refresh (the daemon's 500 ms token watch tick).
  for (const bad of [
    '{not json',
    '{"tokens": {"host": 1}}',
    `{"tokens": [{"name": "host", "hash": "${'0'.repeat(63)}"}]}`,
    'null',
    '',
  ]) {
    writeFileSync(f, good)
    store.refresh()
    expect(store.verify(token, null)).toBe('host')
    writeFileSync(f, bad)
    store.refresh()
    expect(store.verify(token, null), JSON.stringify(bad)).toBeNull()
    expect(store.list()).toEqual([])
  }
  writeFileSync(f, good)
  store.refresh()
  expect(store.verify(token, null)).toBe('host')
  unlinkSync(f)
  store.refresh()
  expect(store.verify(token, null)).toBeNull()
  writeFileSync(f, good)
  store.refresh()
  expect(store.verify(token, 'https://app.example')).toBe('host')
})

test('a token made with url verifies in a path; others do not; url and origins do not mix', () => {
  const store = createTokenStore({ file: file() })
  const { token: urlToken, info } = store.create('cli', { url: true })
  const { token: plain } = store.create('host')
  expect(info.url).toBe(true)
  expect(store.verifyUrl(urlToken)).toBe('cli')
  expect(store.verify(urlToken, null)).toBe('cli') // still a token for headers
  expect(store.verifyUrl(plain)).toBeNull()
  expect(store.verifyUrl(undefined)).toBeNull()
  expect(store.list().find((t) => t.name === 'host')?.url).toBeUndefined()
  expect(() => store.create('both', { url: true, origins: ['https://a.example'] })).toThrow(/cannot be bound/)
  store.revoke('cli')
  expect(store.verifyUrl(urlToken)).toBeNull()
})

test('replacing a token retires the old one; revoking one keeps the others', () => {
  const store = createTokenStore({ file: file() })
  const old = store.create('host').token
  const other = store.create('other').token
  const fresh = store.create('host', { replace: true }).token
  expect(store.verify(old, null)).toBeNull()
  expect(store.verify(fresh, null)).toBe('host')
  expect(store.list().map((t) => t.name)).toEqual(['other', 'host'])
  expect(store.revoke('host')).toBe(true)
  expect(store.verify(other, null)).toBe('other')
  expect(store.list().map((t) => t.name)).toEqual(['other'])
})

test('an empty origin list binds nothing: the token speaks for any origin, and may be a URL token', () => {
  const store = createTokenStore({ file: file() })
  const { token, info } = store.create('any', { origins: [] })
  expect(info.origins).toBeNull()
  expect(store.verify(token, 'https://x.example')).toBe('any')
  const url = store.create('link', { url: true, origins: [] })
  expect(store.verifyUrl(url.token)).toBe('link')
})

test('verifyProof: an HMAC of the message keyed by the token hash, canonical, 32 bytes, for an allowed origin', () => {
  const store = createTokenStore({ file: file() })
  const { token } = store.create('bound', { origins: ['https://app.example'] })
  const prove = (t: string, message: string) =>
    createHmac('sha256', createHash('sha256').update(t).digest()).update(message, 'utf8').digest('base64url')
  const proof = prove(token, 'hello ✓')
  expect(store.verifyProof(proof, 'hello ✓', 'https://app.example')).toBe('bound')
  expect(store.verifyProof(proof, 'hello ✓', 'https://evil.example')).toBeNull()
  expect(store.verifyProof(proof, 'other', 'https://app.example')).toBeNull()
  expect(store.verifyProof(proof.slice(0, 40), 'hello ✓', 'https://app.example')).toBeNull()
  expect(store.verifyProof(`${proof}=`, 'hello ✓', 'https://app.example')).toBeNull()
  expect(store.verifyProof('', 'hello ✓', 'https://app.example')).toBeNull()
})

test('records without a well-formed hash are dropped on load (not listed, never matched)', () => {
  const f = file()
  const store = createTokenStore({ file: f })
  store.create('good')
  const saved = JSON.parse(readFileSync(f, 'utf8')) as { tokens: Record<string, unknown>[] }
  saved.tokens.push(
    { name: 'nohash', createdAt: 1, origins: null },
    { name: 'short', hash: 'ab', createdAt: 1, origins: null },
  )
  writeFileSync(f, JSON.stringify(saved))
  expect(
    createTokenStore({ file: f })
      .list()
      .map((t) => t.name),
  ).toEqual(['good'])
})
