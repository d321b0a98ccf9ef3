import { createHash } from 'node:crypto'
import type { JsonSafe } from '../util/toJsonSafe.js'
import { canonicalJson, canonicalMember } from './canonicalJson.js'

/** A line's hash: sha256 over the previous line's hash (hex) and the canonical line without its `hash` field. */
export function hashAuditLine(prev: string, body: { readonly [k: string]: JsonSafe }): string {
  return createHash('sha256').update(prev).update(canonicalJson(body)).digest('hex')
}

/**
 * A new line of the chain: its hash and its text, the body made canonical once. The same as
 * `hashAuditLine(prev, body)` and `canonicalJson({ ...body, hash })` — which is how `verify`
 * computes them — for a body without a `hash` field.
 */
export function chainAuditLine(
  prev: string,
  body: { readonly [k: string]: JsonSafe },
): { hash: string; line: string } {
  const keys = Object.keys(body).sort()
  const members = keys.map((k) => canonicalMember(k, body[k]!))
  const hash = createHash('sha256')
    .update(prev)
    .update(`{${members.join(',')}}`)
    .digest('hex')
  const at = keys.findIndex((k) => k > 'hash')
  members.splice(at === -1 ? members.length : at, 0, `"hash":"${hash}"`)
  return { hash, line: `{${members.join(',')}}` }
}
