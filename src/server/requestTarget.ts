/**
 * THE reading of an HTTP request target, shared by the guard and the router: the guard admits a
 * request only when its target parses here into a path that is exactly a registered route, so the
 * router (which would otherwise decode `%72`, drop a `#fragment`, strip an absolute-form origin …)
 * can only ever route it to that same route. Anything else is refused before any handler runs.
 */

export type RequestTarget =
  | { ok: true; path: string; query: string | null }
  | { ok: false; reason: RequestTargetRefusal }

export type RequestTargetRefusal =
  | 'empty'
  | 'too-long'
  | 'not-origin-form'
  | 'fragment'
  | 'percent-encoded'
  | 'bad-character'
  | 'double-slash'
  | 'dot-segment'
  | 'bad-query'

/** Longest target accepted (walletd's routes and their queries are short). */
export const MAX_TARGET_LENGTH = 2048

/** Path characters allowed unencoded: letters, digits, `/ - . _ ~` (no `%`, `;`, `\`, `:`, `@` …). */
const PATH = /^[A-Za-z0-9/._~-]*$/
/** Query characters: visible ASCII without `#`. */
const QUERY = /^[\x21\x22\x24-\x7e]*$/

/**
 * Parses a request target in origin form (`/path` or `/path?query`, RFC 9112 §3.2.1) strictly:
 * the absolute and asterisk forms, a fragment, any percent-encoding or other character outside
 * `[A-Za-z0-9/._~-]` in the path, an empty segment (`//`) and dot segments (`/./`, `/../`) are
 * refused rather than normalised — a path has exactly one spelling.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (!target) return { ok: false, reason: 'empty' }
  if (target.length > MAX_TARGET_LENGTH) return { ok: false, reason: 'too-long' }
  if (target[0] !== '/') return { ok: false, reason: 'not-origin-form' }
  if (target.includes('#')) return { ok: false, reason: 'fragment' }
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  const query = q === -1 ? null : target.slice(q + 1)
  if (!PATH.test(path)) return { ok: false, reason: path.includes('%') ? 'percent-encoded' : 'bad-character' }
  if (path.includes('//')) return { ok: false, reason: 'double-slash' }
  for (const segment of path.split('/')) {
    if (segment === '.' || segment === '..') return { ok: false, reason: 'dot-segment' }
  }
  if (query !== null && !QUERY.test(query)) return { ok: false, reason: 'bad-query' }
  return { ok: true, path, query }
}

export type RouteSet = {
  /** Records a route path (fastify's `onRoute`); `:param` segments match one plain segment. */
  add(url: string): void
  has(path: string): boolean
}

/** The registered route paths, exactly; the guard refuses any other path (404). */
export function createRouteSet(): RouteSet {
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  return {
    add(url) {
      if (!url.includes(':') && !url.includes('*')) {
        exact.add(url)
        return
      }
      const source = url
        .split('/')
        .map((seg) =>
          seg.startsWith(':')
            ? '[A-Za-z0-9._~-]+'
            : seg === '*'
              ? '[A-Za-z0-9/._~-]*'
              : seg.replace(/[.]/g, '\\.'),
        )
        .join('/')
      patterns.push(new RegExp(`^${source}$`))
    },
    has(path) {
      return exact.has(path) || patterns.some((p) => p.test(path))
    },
  }
}
