import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { configFromEnv, loadConfig } from './loadConfig.js'
import { toConfigJsonSchema } from './schema.js'

const noUserFile = { XDG_CONFIG_HOME: '/nonexistent-walletd-test' }

describe('loadConfig', () => {
  test('shipped defaults are valid', () => {
    const c = loadConfig({ env: noUserFile })
    expect(c.server.host).toBe('127.0.0.1')
    expect(c.server.port).toBe(8766)
    expect(c.server.portRangeEnd).toBe(9000)
    expect(c.server.maxPayloadBytes).toBe(1048576)
  })

  test('precedence: defaults ← file ← env ← flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletd-cfg-'))
    const file = join(dir, 'c.json')
    writeFileSync(file, JSON.stringify({ server: { port: 9001, maxBatchSize: 7 }, log: { level: 'warn' } }))
    const c = loadConfig({
      file,
      env: { ...noUserFile, WALLETD_SERVER__PORT: '9002', WALLETD_LOG__LEVEL: 'debug' },
      overrides: { server: { port: 9003 } },
    })
    expect(c.server.port).toBe(9003)
    expect(c.server.maxBatchSize).toBe(7)
    expect(c.log.level).toBe('debug')
  })

  test('env names map to camelCase paths; non-config variables are ignored', () => {
    expect(
      configFromEnv({
        WALLETD_SERVER__MAX_PAYLOAD_BYTES: '2048',
        WALLETD_PASSWORD: 'x',
        WALLETD_DEV: 'true',
        OTHER: '1',
      }),
    ).toEqual({
      server: { maxPayloadBytes: 2048 },
      dev: true,
    })
  })

  test('an unknown key is refused, naming its path', () => {
    expect(() => loadConfig({ env: noUserFile, overrides: { server: { colour: 'red' } } as never })).toThrow(
      /config\.server: unknown key\(s\) "colour"/,
    )
  })

  test('a bad value is refused, naming the key and the expected form', () => {
    expect(() => loadConfig({ env: { ...noUserFile, WALLETD_SERVER__PORT: '"eighty"' } })).toThrow(
      /config\.server\.port: .*number/,
    )
    expect(() => loadConfig({ env: noUserFile, overrides: { server: { port: 70000 } } })).toThrow(
      /config\.server\.port/,
    )
  })

  test('a missing explicit file or invalid JSON is a clear error', () => {
    expect(() => loadConfig({ file: '/nonexistent/walletd.json', env: noUserFile })).toThrow(
      /Cannot read the config file/,
    )
    const dir = mkdtempSync(join(tmpdir(), 'walletd-cfg-'))
    writeFileSync(join(dir, 'bad.json'), '{ nope')
    expect(() => loadConfig({ file: join(dir, 'bad.json'), env: noUserFile })).toThrow(/not valid JSON/)
  })

  test('__proto__ in a config file pollutes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletd-cfg-'))
    writeFileSync(join(dir, 'p.json'), '{"__proto__": {"polluted": true}, "server": {"__proto__": {"x": 1}}}')
    loadConfig({ file: join(dir, 'p.json'), env: noUserFile })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('config/walletd.schema.json is generated from the zod schema and up to date', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../config/walletd.schema.json', import.meta.url), 'utf8'),
    )
    expect(committed).toEqual(toConfigJsonSchema())
  })
})
