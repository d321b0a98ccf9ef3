/** A URL without its `user:pass@` part, for logs and status (never for clients). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username || u.password) {
      u.username = ''
      u.password = ''
    }
    return u.toString()
  } catch {
    return '<invalid url>'
  }
}

/** Strips any `scheme://user:pass@` userinfo that an error text (from ws, undici) may have copied. */
export function scrubUserinfo(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//')
}
