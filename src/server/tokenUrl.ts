/** Where a token may appear as a path segment: `/rpc/<token>` (tokens made with `--url`). */
const TOKEN_PATH = /^\/rpc\/([^/?#]+)$/

/** The token of a `/rpc/<token>` path, else undefined. `path` is the request path without query. */
export function tokenFromPath(path: string): string | undefined {
  return TOKEN_PATH.exec(path)?.[1]
}

/**
 * A request target fit for a log line: a `/rpc/<token>` segment becomes `/rpc/[redacted]`, and the
 * query string is dropped. Anything that logs a path goes through this.
 */
export function redactRequestTarget(url: string): string {
  const path = url.split('?', 1)[0]!
  return path.startsWith('/rpc/') ? '/rpc/[redacted]' : path
}
