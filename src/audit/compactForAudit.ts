import { createHash } from 'node:crypto'
import type { JsonSafe } from '../util/toJsonSafe.js'

/** Longer strings are replaced by their digest: an audit line stays small whatever a page sent. */
const MAX_STRING = 512

/**
 * A JSON-safe value with every string longer than 512 characters (calldata, message bytes, long
 * texts) replaced by `sha256:<hex>:<length>`, so a line records what was signed without carrying
 * a megabyte of it.
 */
export function compactForAudit(value: JsonSafe, depth = 0): JsonSafe {
  if (depth > 32) return '(nested too deeply)'
  if (typeof value === 'string') {
    if (value.length <= MAX_STRING) return value
    return `sha256:${createHash('sha256').update(value).digest('hex')}:${value.length}`
  }
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.slice(0, 256).map((v) => compactForAudit(v, depth + 1))
  const out: { [k: string]: JsonSafe } = {}
  for (const [k, v] of Object.entries(value)) out[k] = compactForAudit(v as JsonSafe, depth + 1)
  return out
}
