import { createHash } from 'node:crypto'
import type { JsonSafe } from '../util/toJsonSafe.js'
import { canonicalJson } from './canonicalJson.js'

/** A line's hash: sha256 over the previous line's hash (hex) and the canonical line without its `hash` field. */
export function hashAuditLine(prev: string, body: { readonly [k: string]: JsonSafe }): string {
  return createHash('sha256').update(prev).update(canonicalJson(body)).digest('hex')
}
