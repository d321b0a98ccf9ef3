import type { Address } from 'viem'

/**
 * A summary under 100 characters: with full addresses when they fit, else shortened ones
 * (`0x3C44…93BC`; the details always have them in full), else cut.
 */
export function fitSummary(build: (short: (a: Address) => string) => string): string {
  const full = build((a) => a)
  if (full.length < 100) return full
  const shortened = build((a) => `${a.slice(0, 6)}…${a.slice(-4)}`)
  return shortened.length < 100 ? shortened : `${shortened.slice(0, 98)}…`
}
