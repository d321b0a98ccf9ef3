import { expect, test } from 'vitest'
import { escapeTerminal } from './escapeTerminal.js'

/** Nothing the terminal would act on: no C0/C1 control, no format character, no separator. */
const isInert = (s: string) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(s)

test('plain text, IDN and emoji are kept as they are', () => {
  const text = 'https://app.example:8443 — Grüße, 日本語, 🦊 (a+b=c) [ok] {x}'
  expect(escapeTerminal(text)).toBe(text)
})

test('a fake "Approved" line: ESC, CSI, erase-line and carriage return become visible', () => {
  const hostile = 'https://evil.example\x1b[2K\rApproved ✔\x1b[1A\x1b]0;title\x07'
  const out = escapeTerminal(hostile)
  expect(out).toBe('https://evil.example\\x1b[2K\\rApproved ✔\\x1b[1A\\x1b]0;title\\x07')
  expect(isInert(out)).toBe(true)
})

test('every C0 and C1 control character and DEL is escaped', () => {
  const all = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('')
  const c1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)).join('')
  for (const s of [all, c1, '\x7f']) {
    const out = escapeTerminal(s)
    expect(isInert(out)).toBe(true)
    expect(out).toMatch(/^(\\(x[0-9a-f]{2}|r|n|t))+$/)
  }
  expect(escapeTerminal('\x9b2J')).toBe('\\x9b2J')
  expect(escapeTerminal('\x00\x08\x7f')).toBe('\\x00\\x08\\x7f')
})

test('bidi overrides, isolates and marks are escaped (no reordering)', () => {
  const bidi = 'abc\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl'
  const out = escapeTerminal(bidi)
  expect(out).toBe(
    'abc\\u202aa\\u202bb\\u202cc\\u202dd\\u202ee\\u2066f\\u2067g\\u2068h\\u2069i\\u200ej\\u200fk\\u061cl',
  )
  // A "looks like .com" origin built from RLO: the override is visible.
  expect(escapeTerminal('https://moc.\u202Eevil.example')).toBe('https://moc.\\u202eevil.example')
})

test('zero-width and invisible characters are escaped', () => {
  expect(escapeTerminal('pay\u200Bpal\u200C\u200D\uFEFF\u2060\u00AD')).toBe(
    'pay\\u200bpal\\u200c\\u200d\\ufeff\\u2060\\xad',
  )
  // Tag characters (invisible ASCII smuggling) outside the BMP.
  expect(escapeTerminal('ok\u{E0041}\u{E007F}')).toBe('ok\\u{e0041}\\u{e007f}')
})

test('line/paragraph separators and lone surrogates are escaped', () => {
  expect(escapeTerminal('a\u2028b\u2029c')).toBe('a\\u2028b\\u2029c')
  expect(escapeTerminal('x\uD800y\uDFFFz')).toBe('x\\ud800y\\udfffz')
})

test('a backslash is doubled, so a page cannot type an escape that looks like ours', () => {
  expect(escapeTerminal('\\u202e is harmless text')).toBe('\\\\u202e is harmless text')
  expect(escapeTerminal('C:\\path')).toBe('C:\\\\path')
})

test('keepNewlines keeps \\n only; \\r and everything else is still escaped', () => {
  expect(escapeTerminal('line 1\nline 2\r\nx\x1b', { keepNewlines: true })).toBe('line 1\nline 2\\r\nx\\x1b')
  expect(escapeTerminal('a\nb')).toBe('a\\nb')
})

test('non-strings are stringified first', () => {
  expect(escapeTerminal(12n)).toBe('12')
  expect(escapeTerminal(null)).toBe('null')
})
