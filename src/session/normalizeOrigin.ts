export type OriginResult = { ok: true; origin: string } | { ok: false; reason: string }

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Loopback hosts where plain http is a secure context (localhost, *.localhost, 127.0.0.1, [::1]). */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost')
}

/**
 * Normalises an Origin header to `scheme://host[:port]`: lowercase, IDNs as punycode, default
 * port dropped. Refuses `null`/opaque origins, schemes other than https (and http on loopback),
 * userinfo, paths, trailing dots, whitespace, control characters and joined duplicate headers.
 * Origins are then compared exactly.
 */
export function normalizeOrigin(header: string | string[] | undefined): OriginResult {
  if (header === undefined) return { ok: false, reason: 'missing' }
  if (Array.isArray(header)) return { ok: false, reason: 'multiple Origin headers' }
  if (header.length === 0 || header.length > 2048) return { ok: false, reason: 'empty or oversized' }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s,\u0000-\u001f\u007f]/.test(header))
    return { ok: false, reason: 'whitespace, comma or control characters' }
  if (header === 'null') return { ok: false, reason: 'opaque origin (null)' }
  let url: URL
  try {
    url = new URL(header)
  } catch {
    return { ok: false, reason: 'not a URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: `scheme ${url.protocol} not allowed` }
  if (url.username || url.password) return { ok: false, reason: 'userinfo not allowed' }
  // http(s) URLs always have a path of at least '/'.
  if (url.pathname !== '/' || url.search || url.hash)
    return { ok: false, reason: 'an origin has no path, query or fragment' }
  if (!url.hostname || url.hostname.endsWith('.')) return { ok: false, reason: 'bad host' }
  // The raw header must not carry a path either ('https://a.example/' is not an origin).
  // Stryker disable next-line Regex,StringLiteral: the scheme is at the start anyway; any replacement without '/' works
  if (header.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '').includes('/'))
    return { ok: false, reason: 'an origin has no path' }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname))
    return { ok: false, reason: 'insecure origin: http is only allowed for loopback hosts' }
  return { ok: true, origin: `${url.protocol}//${url.host}` }
}
