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
  return stringify(value).replace(UNSAFE, (c) => {
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
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stringify(value[k] as JsonSafe)}`).join(',')}}`
}
