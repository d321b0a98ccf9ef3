import { z } from 'zod'
import { normalizeOrigin } from '../../session/normalizeOrigin.js'

/**
 * `[origin]`: a page origin (normalised like an Origin header: `HTTPS://App.Example:443` →
 * `https://app.example`) or a token session key `token:<name>`.
 */
export const zOriginParams = z.tuple([
  z
    .string()
    .min(1)
    .max(2048)
    .transform((value, ctx) => {
      if (/^token:[A-Za-z0-9._-]{1,64}$/.test(value)) return value
      const n = normalizeOrigin(value)
      if (n.ok) return n.origin
      ctx.addIssue({
        code: 'custom',
        message: `not an origin (${n.reason}); give scheme://host[:port] or token:NAME`,
      })
      return z.NEVER
    }),
])
