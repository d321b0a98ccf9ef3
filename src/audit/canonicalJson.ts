import type { JsonSafe } from '../util/toJsonSafe.js'

/** Characters written as `\uXXXX` so that no audit line can move a terminal's cursor or reorder text. */
const UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu

/**
 * The canonical form of an audit line: JSON with object keys sorted (recursively), no
 * whitespace, and every control, format, separator or lone-surrogate character escaped (so a line
 * is plain printable text). Two values that are equal give the same bytes: the hash chain is
 * computed over this form, and `verify` refuses a line that is not in it.
 */
export function canonicalJson(value: JsonSafe): string {
  return escapeUnsafe(stringify(value))
}

/**
 * One member (`"key":value`) of a canonical object, as `canonicalJson` writes it: the members of
 * `canonicalJson(obj)` are those of its keys in sorted order, joined by commas, in braces.
 */
export function canonicalMember(key: string, value: JsonSafe): string {
  return escapeUnsafe(`${JSON.stringify(key)}:${stringify(value)}`)
}

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const cp = c.codePointAt(0)!
    return cp > 0xffff
      ? [...String.fromCodePoint(cp)]
          .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
          .join('')
      : `\\u${cp.toString(16).padStart(4, '0')}`
  })
}

function stringify(value: JsonSafe): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  // String concatenation, not map/join: an audit line is written per decision and per signature.
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (stringify(value[i]!) ?? '')
    return `${out}]`
  }
  const keys = Object.keys(value).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++)
    out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${stringify(value[keys[i]!] as JsonSafe)}`
  return `${out}}`
}
