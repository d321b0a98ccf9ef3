import { expect, test } from 'vitest'
import { scanJsonDepth } from './scanJsonDepth.js'

test('counts nesting of arrays and objects', () => {
  expect(scanJsonDepth('1', 10)).toBe(0)
  expect(scanJsonDepth('{"a":[1,{"b":2}]}', 10)).toBe(3)
})

test('ignores brackets inside strings, including escaped quotes', () => {
  expect(scanJsonDepth('{"a":"[[[[{{{{\\"[[["}', 10)).toBe(1)
})

test('stops early on a depth bomb', () => {
  const bomb = '['.repeat(1_000_000) + ']'.repeat(1_000_000)
  expect(scanJsonDepth(bomb, 64)).toBe(65)
})
