import { createSiweMessage } from 'viem/siwe'
import { describe, expect, test } from 'vitest'
import { checkSiwe } from './checkSiwe.js'

const address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const now = Date.parse('2026-11-26T10:00:00Z')
const siwe = (over: Partial<Parameters<typeof createSiweMessage>[0]> = {}) =>
  createSiweMessage({
    address,
    chainId: 31337,
    domain: 'app.example',
    nonce: 'abcdef1234',
    uri: 'https://app.example/login',
    version: '1',
    issuedAt: new Date(now - 1000),
    statement: 'Sign in to App',
    resources: ['https://app.example/tos'],
    ...over,
  })
const check = (text: string, origin = 'https://app.example', dev = false) =>
  checkSiwe({ text, origin, address, chainId: 31337, now, dev })
const levels = (r: ReturnType<typeof checkSiwe>) => r!.warnings.map((w) => w.level)

describe('checkSiwe (ERC-4361)', () => {
  test('not a SIWE message: nothing to say', () => {
    expect(check('Hello')).toBeNull()
  })

  test('a good message: no warning, and the fields the wallet must show', () => {
    const r = check(siwe())
    expect(r!.warnings).toEqual([])
    expect(r!.details).toMatchObject({
      scheme: 'https',
      domain: 'app.example',
      address,
      statement: 'Sign in to App',
      resources: ['https://app.example/tos'],
      chainId: 31337,
    })
  })

  test.each([
    ['another domain', siwe({ domain: 'evil.example' }), 'https://app.example'],
    ['a subdomain of the origin', siwe({ domain: 'login.app.example' }), 'https://app.example'],
    ['the origin is a subdomain', siwe(), 'https://login.app.example'],
    ['a look-alike suffix', siwe({ domain: 'app.example.evil.example' }), 'https://app.example'],
    ['another scheme', siwe({ scheme: 'http' }), 'https://app.example'],
    [
      'another account',
      siwe({ address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }),
      'https://app.example',
    ],
  ])('%s is CRITICAL (refused without asking)', (_name, text, origin) => {
    expect(levels(check(text, origin))).toContain('critical')
  })

  test('port mismatch, another chain, expired and not-yet-valid messages warn', () => {
    expect(levels(check(siwe({ domain: 'app.example:8443' })))).toEqual(['warning'])
    expect(levels(check(siwe({ chainId: 1 })))).toEqual(['warning'])
    expect(levels(check(siwe({ expirationTime: new Date(now - 1) })))).toEqual(['warning'])
    expect(levels(check(siwe({ notBefore: new Date(now + 60_000) })))).toEqual(['warning'])
  })

  test('a malformed message with the SIWE wording warns', () => {
    const r = check(`app.example wants you to sign in with your Ethereum account:\n${address}\n\nno fields`)
    expect(levels(r)).toEqual(['warning'])
    expect(r!.warnings[0]!.message).toMatch(/not a valid Sign-In/)
  })

  test('no web origin (a token session) warns: nothing to check against', () => {
    expect(levels(check(siwe(), 'token:cli'))).toEqual(['warning'])
  })

  test('loopback: a scheme mismatch only warns; a host mismatch only warns in dev mode', () => {
    const local = siwe({ domain: 'localhost:3000', uri: 'http://localhost:3000' })
    expect(levels(check(local, 'http://localhost:3000'))).toEqual(['warning'])
    const other = siwe({ domain: 'app.example' })
    expect(levels(check(other, 'http://localhost:3000'))).toContain('critical')
    expect(levels(check(other, 'http://localhost:3000', true))).not.toContain('critical')
  })
})
