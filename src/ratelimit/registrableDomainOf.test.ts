import { describe, expect, it } from 'vitest'
import { registrableDomainOf } from './registrableDomainOf.js'

describe('registrableDomainOf', () => {
  it.each([
    ['https://a.evil.example', 'evil.example'],
    ['https://b.evil.example', 'evil.example'],
    ['https://evil.example:8443', 'evil.example'],
    ['http://x.y.evil.example', 'evil.example'],
    ['https://a.example.co.uk', 'example.co.uk'],
    ['https://b.other.co.uk', 'other.co.uk'],
    ['https://app.uniswap.org', 'uniswap.org'],
    // Private suffixes hand out subdomains for free: they share one budget.
    ['https://a.github.io', 'github.io'],
    ['https://x.vercel.app', 'vercel.app'],
    ['http://a.localhost:3000', 'localhost'],
  ])('%s → %s', (origin, domain) => {
    expect(registrableDomainOf(origin)).toBe(domain)
  })

  it.each([
    'token:cli',
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:8080',
    'https://co.uk',
    'chrome-extension://abcdef',
    'wss://a.evil.example',
    'ftp://files.example.com',
    'null',
    'https://',
  ])('%s is its own budget (null)', (origin) => {
    expect(registrableDomainOf(origin)).toBeNull()
  })
})
