import { expect, test } from 'vitest'
import { isLoopbackHost } from './isLoopbackHost.js'

test.each(['127.0.0.1:8766', 'localhost:8766', 'LOCALHOST:8766', '[::1]:8766'])('accepts %s', (host) => {
  expect(isLoopbackHost(host, 8766)).toBe(true)
})

test.each([
  undefined,
  '',
  '127.0.0.1',
  'localhost',
  '127.0.0.1:8767',
  'attacker.example:8766',
  '0.0.0.0:8766',
  '127.0.0.1.evil.example:8766',
  'localhost.evil.example:8766',
  '127.0.0.2:8766',
  'localhost:8766.evil.example',
  '[::ffff:127.0.0.1]:8766',
])('refuses %j', (host) => {
  expect(isLoopbackHost(host, 8766)).toBe(false)
})
