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

// Compared whole, never by prefix: each accepted form followed by anything is refused (a mutant
// that matched `127.0.0.1:8766` as a prefix passed every test above).
test.each(
  ['127.0.0.1', 'localhost', '[::1]'].flatMap((h) => [
    `${h}:87660`,
    `${h}:8766.evil.example`,
    `${h}:8766@evil.example`,
    `${h}:8766/`,
    `${h}:8766 `,
    `${h}:8766:8766`,
  ]),
)('refuses the prefix-alike %j', (host) => {
  expect(isLoopbackHost(host, 8766)).toBe(false)
})

test('and any accepted form that is a prefix of the other ports', () => {
  expect(isLoopbackHost('127.0.0.1:876', 8766)).toBe(false)
  expect(isLoopbackHost('127.0.0.1:8766', 876)).toBe(false)
})
