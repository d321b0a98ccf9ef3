import { formatUnits } from 'viem'

/** What a prompt needs to show an amount of a token: its symbol and decimals, when known. */
export type TokenUnits = { symbol: string | null; decimals: number | null }

/** `1.5 ETH (1500000000000000000 wei)`: ether with the raw value beside it. */
export function formatEtherAmount(wei: bigint): string {
  return `${formatUnits(wei, 18)} ETH (${wei} wei)`
}

/**
 * A token amount with the raw value beside it: `12.5 TT (12500000000000000000 raw units)`; when
 * the token's decimals or symbol could not be read, the raw units and a note saying so.
 */
export function formatTokenAmount(amount: bigint, token: TokenUnits): string {
  if (token.decimals === null) return `${amount} raw units (the token's decimals could not be read)`
  const value = formatUnits(amount, token.decimals)
  return `${value} ${token.symbol ?? '(unknown symbol)'} (${amount} raw units)`
}

/**
 * A short amount for a summary line: exact when it has at most `maxChars` characters, else
 * rounded with a `≈` and an exponent (`≈1.2346e+59`). Details always carry the exact value.
 */
export function compactAmount(value: bigint, decimals: number, maxChars = 20): string {
  const exact = formatUnits(value, decimals)
  if (exact.length <= maxChars) return exact
  const [whole = '0', fraction = ''] = exact.split('.')
  if (whole !== '0' && whole.length <= maxChars - 2) {
    // Keep the whole part, cut the fraction.
    const room = maxChars - 2 - whole.length // the ≈ and the point
    const kept = fraction.slice(0, room).replace(/0+$/, '')
    return `≈${whole}${kept ? `.${kept}` : ''}`
  }
  const digits = whole === '0' ? fraction.replace(/^0+/, '') : whole
  const exponent =
    whole === '0' ? -(fraction.length - fraction.replace(/^0+/, '').length + 1) : whole.length - 1
  const rest = digits.slice(1, 5).replace(/0+$/, '')
  const mantissa = rest ? `${digits[0]}.${rest}` : digits[0]
  return `≈${mantissa}e${exponent >= 0 ? '+' : ''}${exponent}`
}

/** `compactAmount` with the symbol, or the raw units when the decimals are unknown. */
export function compactTokenAmount(amount: bigint, token: TokenUnits): string {
  if (token.decimals === null) return `${compactAmount(amount, 0)} raw units`
  return `${compactAmount(amount, token.decimals)} ${token.symbol ?? 'tokens'}`
}

/** A unix time in seconds with its UTC date: `1700000000 (2023-11-14T22:13:20.000Z)`. */
export function formatDeadline(seconds: bigint): string {
  if (seconds >= 2n ** 48n - 1n) return `${seconds} (never expires)`
  const date = new Date(Number(seconds) * 1000)
  return `${seconds} (${Number.isNaN(date.getTime()) ? 'far future' : date.toISOString()})`
}
