import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { mergeConfig, parseConfig } from '../config/loadConfig.js'
import { httpServerTimeouts } from './httpTimeouts.js'

describe('httpServerTimeouts', () => {
  test('checks timeouts at least every 250 ms, a quarter of the shorter one for small settings', () => {
    expect(
      httpServerTimeouts({ headersTimeoutMs: 5000, requestTimeoutMs: 10000, keepAliveTimeoutMs: 5000 }),
    ).toEqual({
      headersTimeout: 5000,
      requestTimeout: 10000,
      keepAliveTimeout: 4500,
      connectionsCheckingInterval: 250,
    })
    const small = httpServerTimeouts({
      headersTimeoutMs: 400,
      requestTimeoutMs: 800,
      keepAliveTimeoutMs: 300,
    })
    expect(small.connectionsCheckingInterval).toBe(100)
    expect(small.keepAliveTimeout).toBe(1)
    expect(
      httpServerTimeouts({ headersTimeoutMs: 1, requestTimeoutMs: 1, keepAliveTimeoutMs: 1 })
        .connectionsCheckingInterval,
    ).toBe(25)
  })

  test('the config refuses a header timeout longer than the request timeout (node would throw)', () => {
    const defaults = JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'))
    expect(() => parseConfig(mergeConfig(defaults, { server: { headersTimeoutMs: 20000 } }))).toThrow(
      /config\.server\.headersTimeoutMs: headersTimeoutMs must be at most requestTimeoutMs/,
    )
  })
})
