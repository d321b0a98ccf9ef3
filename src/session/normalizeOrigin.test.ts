import { describe, expect, test } from 'vitest'
import { normalizeOrigin } from './normalizeOrigin.js'

describe('normalizeOrigin', () => {
  test.each([
    ['https://app.example', 'https://app.example'],
    ['HTTPS://App.Example', 'https://app.example'],
    ['https://app.example:443', 'https://app.example'],
    ['https://app.example:8443', 'https://app.example:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:5173', 'http://127.0.0.1:5173'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://tauri.localhost', 'http://tauri.localhost'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeOrigin(input)).toEqual({ ok: true, origin: expected })
  })

  test.each([
    ['null'],
    [''],
    ['file://'],
    ['data:text/html,hi'],
    ['chrome-extension://abcdef'],
    ['https://user:pw@app.example'],
    ['https://app.example/'],
    ['https://app.example/path'],
    ['https://app.example?x=1'],
    ['https://app.example.'],
    ['https://app.example, https://evil.example'],
    [' https://app.example'],
    ['https://app.example\r\nX: y'],
    ['http://app.example'],
    ['not a url'],
  ])('refuses %j', (input) => {
    expect(normalizeOrigin(input).ok).toBe(false)
  })

  // http is allowed only for hosts that really are loopback: `localhost`, `*.localhost`,
  // 127.0.0.1 and [::1] — never a host that merely contains, starts or ends with "localhost".
  test.each([
    'http://localhost.evil.example',
    'http://localhost.evil.example:3000',
    'http://app.localhost.evil.example',
    'http://evillocalhost',
    'http://evil-localhost',
    'http://localhostevil.example',
    'http://localhost-evil.example',
    'http://127.0.0.1.evil.example',
    'http://127.0.0.2',
    'http://0.0.0.0',
  ])('refuses plain http on the look-alike %s', (input) => {
    expect(normalizeOrigin(input)).toEqual({
      ok: false,
      reason: 'insecure origin: http is only allowed for loopback hosts',
    })
    // …while https on the same host is an ordinary, distinct origin.
    const https = normalizeOrigin(input.replace('http:', 'https:'))
    expect(https.ok && https.origin).toBe(input.replace('http:', 'https:'))
  })

  test('refuses a missing header and multiple headers', () => {
    expect(normalizeOrigin(undefined).ok).toBe(false)
    expect(normalizeOrigin(['https://a.example', 'https://b.example']).ok).toBe(false)
  })

  test('look-alike origins stay distinct', () => {
    const a = normalizeOrigin('https://app.uniswap.org')
    const b = normalizeOrigin('https://app.uniswap.org.evil.example')
    expect(a.ok && b.ok && a.origin !== b.origin).toBe(true)
  })

  test.each([
    [undefined, 'missing'],
    [['https://app.example'], 'multiple Origin headers'],
    ['', 'empty or oversized'],
    [`https://${'a'.repeat(2041)}`, 'empty or oversized'],
    ['https://app.example, https://evil.example', 'whitespace, comma or control characters'],
    ['https://app\u0000.example', 'whitespace, comma or control characters'],
    ['null', 'opaque origin (null)'],
    ['https//app.example', 'not a URL'],
    ['ftp://app.example', 'scheme ftp: not allowed'],
    ['https://user@app.example', 'userinfo not allowed'],
    ['https://:pw@app.example', 'userinfo not allowed'],
    ['https://app.example/x', 'an origin has no path, query or fragment'],
    ['https://app.example?x', 'an origin has no path, query or fragment'],
    ['https://app.example#x', 'an origin has no path, query or fragment'],
    ['https://app.example.', 'bad host'],
    ['https://app.example/', 'an origin has no path'],
    ['http://app.example', 'insecure origin: http is only allowed for loopback hosts'],
  ])('refuses %j: %s', (input, reason) => {
    expect(normalizeOrigin(input as string | string[] | undefined)).toEqual({ ok: false, reason })
  })

  test('accepts an Origin header of exactly 2048 characters', () => {
    const header = `https://${'a'.repeat(2040)}`
    expect(normalizeOrigin(header)).toEqual({ ok: true, origin: header })
  })
})
