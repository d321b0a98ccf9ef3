/**
 * A URL safe for logs, status and errors: scheme, host and port only. Userinfo (`user:pass@`) and
 * any path or query are replaced, because providers put API keys there (`/v3/<key>`, `?apikey=`).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    const hidden = (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== ''
    return `${u.protocol}//${u.host}${hidden ? '/…' : ''}`
  } catch {
    return '<invalid url>'
  }
}

/** Strips any `scheme://user:pass@` userinfo that an error text (from ws, undici) may have copied. */
export function scrubUserinfo(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//')
}
