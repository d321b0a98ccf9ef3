import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { configFromEnv, mergeConfig, parseConfig } from './loadConfig.js'
import { toConfigJsonSchema } from './schema.js'

/**
 * docs/configuration.md is the reference for every config key. These tests walk the schema the
 * editor schema is generated from and fail when a key is missing from the reference, when a row
 * names a key that does not exist, or when a row's default or environment variable is wrong.
 */

type JsonSchema = {
  type?: string
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema
  enum?: unknown[]
  anyOf?: JsonSchema[]
  $ref?: string
}

type Key = {
  path: string
  node: JsonSchema
  /** Set with its parent (inside an array element or a record value): no env variable of its own. */
  nested: boolean
}

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8')
const doc = read('../../docs/configuration.md')
const defaults = JSON.parse(read('../../config/default.json')) as unknown
const example = JSON.parse(read('../../config/walletd.example.json')) as unknown
const root = toConfigJsonSchema() as JsonSchema & { $defs?: Record<string, JsonSchema> }

function resolve(node: JsonSchema): JsonSchema {
  if (node.$ref?.startsWith('#/$defs/')) return root.$defs?.[node.$ref.slice('#/$defs/'.length)] ?? node
  return node
}

/** Every key a user can set: leaves, plus arrays and records (set whole), and the fields inside them. */
function configKeys(): Key[] {
  const keys: Key[] = []
  const walk = (raw: JsonSchema, path: string, nested: boolean) => {
    const node = resolve(raw)
    if (node.type === 'object' && node.properties) {
      for (const [name, child] of Object.entries(node.properties)) {
        walk(child, path ? `${path}.${name}` : name, nested)
      }
      return
    }
    keys.push({ path, node, nested })
    if (node.type === 'object' && typeof node.additionalProperties === 'object') {
      const placeholder = path === 'rateLimit.methods' ? '<method>' : '<key>'
      walk(node.additionalProperties, `${path}.${placeholder}`, true)
    } else if (node.type === 'array' && node.items && resolve(node.items).properties) {
      walk(node.items, `${path}[]`, true)
    }
  }
  walk(root, '', false)
  return keys
}

/** `rateLimit.classes.read.perSecond` → `WALLETD_RATE_LIMIT__CLASSES__READ__PER_SECOND`. */
function envName(path: string): string {
  return `WALLETD_${path
    .split('.')
    .map((segment) => segment.replace(/([A-Z])/g, '_$1').toUpperCase())
    .join('__')}`
}

function valueAt(value: unknown, path: string): unknown {
  let node = value
  for (const segment of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined
    node = (node as Record<string, unknown>)[segment]
  }
  return node
}

/** The cells of the reference row for `path`: key, type, default, env, what it does. */
function rowFor(path: string): string[] | undefined {
  const reference = doc.slice(doc.indexOf('\n## Reference'), doc.indexOf('\n## An example user config'))
  const line = reference.split('\n').find((l) => l.startsWith(`| \`${path}\` |`))
  return line
    ?.slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim())
}

const keys = configKeys()

describe('docs/configuration.md', () => {
  test('the schema walk finds the keys it should (a sanity check of the walker)', () => {
    const paths = keys.map((k) => k.path)
    expect(paths).toContain('server.maxPayloadBytes')
    expect(paths).toContain('rateLimit.classes.sign.perHour')
    expect(paths).toContain('rateLimit.methods')
    expect(paths).toContain('rateLimit.methods.<method>.burst')
    expect(paths).toContain('chains')
    expect(paths).toContain('chains[].nativeCurrency.symbol')
    expect(paths).not.toContain('server')
    expect(keys.length).toBeGreaterThan(70)
  })

  test.each(keys.map((k) => [k.path, k] as const))('%s has a reference row', (path) => {
    expect(rowFor(path), `no row "| \`${path}\` |" in the Reference section`).toBeDefined()
    expect(rowFor(path)).toHaveLength(5)
  })

  test('every reference row names a key that exists', () => {
    const reference = doc.slice(doc.indexOf('\n## Reference'), doc.indexOf('\n## An example user config'))
    const documented = [...reference.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1])
    const known = new Set(keys.map((k) => k.path))
    expect(documented.filter((p) => !known.has(p!))).toEqual([])
    expect(new Set(documented).size).toBe(documented.length)
  })

  test.each(keys.map((k) => [k.path, k] as const))(
    '%s: the default column matches config/default.json',
    (path) => {
      const value = valueAt(defaults, path)
      const cell = rowFor(path)?.[2]
      if (value === undefined) expect(cell).toBe('—')
      else expect(cell).toBe(`\`${JSON.stringify(value)}\``)
    },
  )

  test.each(keys.map((k) => [k.path, k] as const))(
    '%s: the env column names a variable that sets it',
    (path, key) => {
      const cell = rowFor(path)?.[3]
      if (key.nested || path === '$schema') {
        expect(cell).toBe('—')
        return
      }
      const name = envName(path)
      expect(cell).toBe(`\`${name}\``)
      // The name really maps back onto this key.
      expect(valueAt(configFromEnv({ [name]: '"probe"' }), path)).toBe('probe')
    },
  )

  test.each(keys.filter((k) => k.node.enum).map((k) => [k.path, k] as const))(
    '%s: every allowed value is listed',
    (path, key) => {
      const cell = rowFor(path)?.[1] ?? ''
      for (const value of key.node.enum!) expect(cell).toContain(`\`${JSON.stringify(value)}\``)
    },
  )

  test('every environment variable that is not a key is documented', async () => {
    const { NON_CONFIG_ENV } = await import('./loadConfig.js')
    for (const name of NON_CONFIG_ENV) expect(doc).toContain(`| \`${name}\` |`)
  })
})

describe('config/walletd.example.json', () => {
  test('validates on top of the shipped defaults', () => {
    const config = parseConfig(mergeConfig(defaults, example))
    expect(config.chains.map((c) => c.chainId)).toContain(config.defaultChainId)
    // It is a real chain with a WebSocket and an HTTP URL, and tighter limits than the defaults.
    expect(config.chains[0]!.rpcUrls.some((u) => u.startsWith('wss:'))).toBe(true)
    expect(config.chains[0]!.rpcUrls.some((u) => u.startsWith('https:'))).toBe(true)
    const base = parseConfig(defaults)
    expect(config.connections.maxPerOrigin).toBeLessThan(base.connections.maxPerOrigin)
    expect(config.rateLimit.classes.sign.perMinute!).toBeLessThan(base.rateLimit.classes.sign.perMinute!)
  })

  test('is shown verbatim in docs/configuration.md', () => {
    const section = doc.slice(doc.indexOf('\n## An example user config'))
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1]
    expect(block).toBeDefined()
    expect(JSON.parse(block!)).toEqual(example)
  })
})
