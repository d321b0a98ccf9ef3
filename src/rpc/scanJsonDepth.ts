/**
 * Returns the maximum nesting depth of a JSON text without parsing it, or stops early and returns
 * `limit + 1` once the depth passes `limit`. Strings (and escapes inside them) are skipped. Linear
 * time, no recursion: the guard in front of JSON.parse against depth bombs.
 */
export function scanJsonDepth(text: string, limit: number): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
      continue
    }
    if (c === 34) inString = true
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++
      if (depth > max) {
        max = depth
        if (max > limit) return max
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--
  }
  return max
}
