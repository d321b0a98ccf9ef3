import { expect, test } from 'vitest'
import { redactRequestTarget, tokenFromPath } from './tokenUrl.js'

test('a token is read from /rpc/<token> only', () => {
  expect(tokenFromPath('/rpc/wdt_abc')).toBe('wdt_abc')
  expect(tokenFromPath('/rpc')).toBeUndefined()
  expect(tokenFromPath('/rpc/')).toBeUndefined()
  expect(tokenFromPath('/rpc/a/b')).toBeUndefined()
  expect(tokenFromPath('/events/wdt_abc')).toBeUndefined()
  expect(tokenFromPath('/x/rpc/wdt_abc')).toBeUndefined()
})

test('log lines never carry a path token or a query', () => {
  expect(redactRequestTarget('/rpc/wdt_secret')).toBe('/rpc/[redacted]')
  expect(redactRequestTarget('/rpc/wdt_secret/more?x=1')).toBe('/rpc/[redacted]')
  expect(redactRequestTarget('/rpc?token=wdt_secret')).toBe('/rpc')
  expect(redactRequestTarget('/health')).toBe('/health')
})
