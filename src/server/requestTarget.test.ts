import { describe, expect, test } from 'vitest'
import { createRouteSet, MAX_TARGET_LENGTH, parseRequestTarget } from './requestTarget.js'

describe('parseRequestTarget', () => {
  test.each([
    ['/rpc', '/rpc', null],
    ['/rpc?x=1&y=%zz', '/rpc', 'x=1&y=%zz'],
    ['/rpc?', '/rpc', ''],
    ['/', '/', null],
    ['/provider.js', '/provider.js', null],
    ['/a-b_c~d/e', '/a-b_c~d/e', null],
  ])('%s → path %s, query %s', (target, path, query) => {
    expect(parseRequestTarget(target)).toEqual({ ok: true, path, query })
  })

  test.each([
    [undefined, 'empty'],
    ['', 'empty'],
    [`/${'a'.repeat(MAX_TARGET_LENGTH)}`, 'too-long'],
    ['http://127.0.0.1:8766/rpc', 'not-origin-form'],
    ['*', 'not-origin-form'],
    ['rpc', 'not-origin-form'],
    ['/rpc#x', 'fragment'],
    ['/rpc?x#y', 'fragment'],
    ['/%72pc', 'percent-encoded'],
    ['/rpc%2f', 'percent-encoded'],
    ['/rpc;x', 'bad-character'],
    ['/rpc\\', 'bad-character'],
    ['/rp c', 'bad-character'],
    ['/rpç', 'bad-character'],
    ['/rpc:', 'bad-character'],
    ['//rpc', 'double-slash'],
    ['/rpc//', 'double-slash'],
    ['/./rpc', 'dot-segment'],
    ['/x/../rpc', 'dot-segment'],
    ['/rpc/.', 'dot-segment'],
    ['/..', 'dot-segment'],
    ['/rpc?a b', 'bad-query'],
    ['/rpc?\u00e9', 'bad-query'],
  ])('%j is refused: %s', (target, reason) => {
    expect(parseRequestTarget(target)).toEqual({ ok: false, reason })
  })

  test('the length limit is exact; the query may hold any visible ASCII but `#`', () => {
    const longest = `/${'a'.repeat(MAX_TARGET_LENGTH - 1)}`
    expect(parseRequestTarget(longest)).toMatchObject({ ok: true, path: longest })
    expect(parseRequestTarget(`${longest}a`)).toEqual({ ok: false, reason: 'too-long' })
    expect(parseRequestTarget('/rpc?!"$%~=&;:/?@')).toEqual({ ok: true, path: '/rpc', query: '!"$%~=&;:/?@' })
    for (const c of ['\x7f', '\x20', '\t', '\x00']) {
      expect(parseRequestTarget(`/rpc?a${c}`), JSON.stringify(c)).toEqual({ ok: false, reason: 'bad-query' })
    }
    expect(parseRequestTarget('/AZaz09/x')).toMatchObject({ ok: true })
  })

  test('dots inside a segment are allowed (not dot segments)', () => {
    expect(parseRequestTarget('/a.b/..c/.d')).toMatchObject({ ok: true, path: '/a.b/..c/.d' })
  })
})

describe('createRouteSet', () => {
  test('static routes match exactly; parametric segments match one plain segment', () => {
    const routes = createRouteSet()
    routes.add('/rpc')
    routes.add('/approve/:id')
    expect(routes.has('/rpc')).toBe(true)
    expect(routes.has('/rpc/')).toBe(false)
    expect(routes.has('/RPC')).toBe(false)
    expect(routes.has('/rp')).toBe(false)
    expect(routes.has('/approve/abc-1')).toBe(true)
    expect(routes.has('/approve/')).toBe(false)
    expect(routes.has('/approve/a/b')).toBe(false)
  })
})

describe('createRouteSet patterns', () => {
  test('a parametric route matches only its own prefix, whole, with dots taken literally', () => {
    const routes = createRouteSet()
    routes.add('/rpc/:token')
    routes.add('/v1.0/:id/info')
    expect(routes.has('/rpc/abc_DEF-0.9~')).toBe(true)
    expect(routes.has('/x/rpc/abc')).toBe(false)
    expect(routes.has('/rpc/abc/')).toBe(false)
    expect(routes.has('/rpc')).toBe(false)
    expect(routes.has('/v1.0/7/info')).toBe(true)
    expect(routes.has('/v1x0/7/info')).toBe(false)
    expect(routes.has('/v1.0/7/infos')).toBe(false)
    expect(routes.has('/v1.0//info')).toBe(false)
  })

  test('a wildcard route matches any rest of the path below its prefix', () => {
    const routes = createRouteSet()
    routes.add('/static/*')
    expect(routes.has('/static/')).toBe(true)
    expect(routes.has('/static/a/b.js')).toBe(true)
    expect(routes.has('/static')).toBe(false)
    expect(routes.has('/staticx/a')).toBe(false)
    expect(routes.has('/other/static/a')).toBe(false)
  })

  test('a static route with a dot is exact', () => {
    const routes = createRouteSet()
    routes.add('/provider.js')
    expect(routes.has('/provider.js')).toBe(true)
    expect(routes.has('/providerxjs')).toBe(false)
  })
})
