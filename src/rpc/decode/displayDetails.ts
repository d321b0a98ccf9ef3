import type { DisplayLine } from './decodeCall.js'

/** Display lines as a details object for the prompt (a repeated label gets ` (2)`, ` (3)` …). */
export function displayDetails(lines: readonly DisplayLine[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { label, value } of lines) {
    let key = label
    for (let n = 2; Object.hasOwn(out, key); n++) key = `${label} (${n})`
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return out
}
