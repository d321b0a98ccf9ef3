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
