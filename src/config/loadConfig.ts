import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { z } from 'zod'
import { ConfigFileError, ConfigInvalidError } from '../errors/startup.js'
import { packageRoot } from '../util/packageRoot.js'
import { userConfigFile } from './paths.js'
import { type Config, ConfigSchema } from './schema.js'

export type LoadConfigOptions = {
  /** Explicit config file (`--config`); an error when missing. Else the XDG user file, if any. */
  file?: string | undefined
  /** Environment; `WALLETD_*` variables become config keys. */
  env?: NodeJS.ProcessEnv
  /** Flag overrides, already shaped like the config (highest precedence). */
  overrides?: DeepPartial<Config>
}

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T

/** Environment variables that are not config keys. */
export const NON_CONFIG_ENV = new Set([
  'WALLETD_CONFIG',
  'WALLETD_PASSWORD',
  'WALLETD_PASSWORD_FILE',
  'WALLETD_TOKEN',
  'WALLETD_URL',
])

const defaultFile = () => join(packageRoot(), 'config', 'default.json')

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue
    if (v === undefined) continue
    out[k] = mergeConfig(base[k], v)
  }
  return out
}

function readJsonFile(path: string, required: boolean): Json | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigFileError(`Cannot read the config file ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text) as Json
  } catch (err) {
    throw new ConfigFileError(`The config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** Each `WALLETD_*` config variable and the key path it sets. */
export function envConfigSources(env: NodeJS.ProcessEnv): Array<{ name: string; path: string[] }> {
  const out: Array<{ name: string; path: string[] }> = []
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('WALLETD_') || NON_CONFIG_ENV.has(name) || raw === undefined) continue
    out.push({ name, path: name.slice('WALLETD_'.length).split('__').map(camel) })
  }
  return out
}

/**
 * `WALLETD_SERVER__MAX_PAYLOAD_BYTES=2048` → `{ server: { maxPayloadBytes: 2048 } }`. Values are
 * JSON when they parse as JSON, else strings.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { name, path } of envConfigSources(env)) {
    const raw = env[name] as string
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {}
    let node = out
    for (const [i, key] of path.entries()) {
      if (i === path.length - 1) node[key] = value
      else {
        node[key] ??= {}
        node = node[key] as Record<string, unknown>
      }
    }
  }
  return out
}

/**
 * One line per zod issue, naming the key path and what was expected, and the environment
 * variable that set it when one did (`config.servr: unknown key(s) "servr" (set by WALLETD_SERVR__PORT)`).
 */
export function formatConfigIssues(
  error: z.ZodError,
  sources: ReadonlyArray<{ name: string; path: string[] }> = [],
): string[] {
  const from = (paths: string[][]) => {
    const names = sources
      .filter((s) =>
        paths.some((p) => p.every((k, i) => s.path[i] === k) || s.path.every((k, i) => p[i] === k)),
      )
      .map((s) => s.name)
    return names.length > 0 ? ` (set by ${names.join(', ')})` : ''
  }
  return error.issues.map((issue) => {
    const at = issue.path.map(String)
    const path = ['config', ...at].join('.')
    if (issue.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}${from(issue.keys.map((k) => [...at, k]))}`
    return `${path}: ${issue.message}${from([at])}`
  })
}

/** Validates a merged config object; throws ConfigInvalidError naming each bad key (and its variable). */
export function parseConfig(
  input: unknown,
  sources?: ReadonlyArray<{ name: string; path: string[] }>,
): Config {
  const result = ConfigSchema.safeParse(input)
  if (!result.success) {
    const issues = formatConfigIssues(result.error, sources)
    // The issues are the error's lines (printed once each), not part of its one-line message.
    throw new ConfigInvalidError('The configuration is invalid.', { metaMessages: issues })
  }
  return result.data
}

/** Shipped defaults ← user file ← `WALLETD_*` env ← flags, validated by one schema. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env
  const defaults = readJsonFile(defaultFile(), true)
  const explicit = options.file ?? env.WALLETD_CONFIG
  const user = explicit ? readJsonFile(explicit, true) : readJsonFile(userConfigFile(env), false)
  let merged = mergeConfig(defaults, user ?? {})
  merged = mergeConfig(merged, configFromEnv(env))
  merged = mergeConfig(merged, options.overrides ?? {})
  return Object.freeze(parseConfig(merged, envConfigSources(env)))
}
