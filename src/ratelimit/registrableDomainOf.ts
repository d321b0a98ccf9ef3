import { parse } from 'tldts'

/**
 * The registrable domain (eTLD+1) that an origin's rate budget is shared under, or null when the
 * origin is its own budget: `token:<name>`, IP addresses, `localhost`, non-http(s) schemes and
 * anything unparsable. `*.localhost` shares `localhost` (any local process can invent those).
 *
 * Only the ICANN section of the public-suffix list counts: private suffixes such as `github.io`
 * or `vercel.app` hand out subdomains for free, so all their sites share one budget. The price
 * is that an attacker on such a host can use up the domain budget of other sites there.
 */
export function registrableDomainOf(origin: string): string | null {
  if (!origin.startsWith('https://') && !origin.startsWith('http://')) return null
  let hostname: string
  try {
    hostname = new URL(origin).hostname
  } catch {
    return null
  }
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: explicit; tldts gives these no domain either
  if (hostname === '' || hostname === 'localhost') return null
  if (hostname.endsWith('.localhost')) return 'localhost'
  // Stryker disable next-line ObjectLiteral: the defaults are the same (no private suffixes); extractHostname only skips work
  const parsed = parse(hostname, {
    allowPrivateDomains: false,
    // Stryker disable next-line BooleanLiteral: we pass a hostname already; extracting again changes nothing
    extractHostname: false,
  })
  // Stryker disable next-line ConditionalExpression: explicit; tldts gives an IP no domain either
  if (parsed.isIp) return null
  return parsed.domain ?? null
}
