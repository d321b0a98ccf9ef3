/** A value JSON.stringify can write without loss of meaning. */
export type JsonSafe = null | boolean | number | string | JsonSafe[] | { [key: string]: JsonSafe }

/**
 * The one wire encoding of walletd's in-memory values: bigints become decimal strings (wei,
 * gas, token amounts: `"1500000000000000000"`), `undefined` properties are left out, frozen
 * objects and arrays are copied. Used for everything the admin socket sends and every audit line.
 * Throws on a cycle (walletd's facts have none).
 */
export function toJsonSafe(value: unknown, depth = 0): JsonSafe {
  if (depth > 64) throw new Error('toJsonSafe: value nested too deeply')
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case 'bigint':
      return value.toString(10)
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : null
    case 'object': {
      if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1))
      const out: { [key: string]: JsonSafe } = {}
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || typeof v === 'function') continue
        out[k] = toJsonSafe(v, depth + 1)
      }
      return out
    }
    default:
      return null
  }
}
