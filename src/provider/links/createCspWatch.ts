import type { CspWatch } from './types.js'

const originOf = (url: string) => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return url
  }
}

/**
 * Watches `securitypolicyviolation` events: a connection the page's CSP (`connect-src`) blocks
 * fails like an unreachable daemon, and this is how the provider tells the two apart (the event
 * comes before the WebSocket's error event in Chromium). Outside a document, nothing is blocked.
 */
export function createCspWatch(
  doc: Pick<Document, 'addEventListener'> | undefined = globalThis.document,
): CspWatch {
  const blocked = new Set<string>()
  doc?.addEventListener('securitypolicyviolation', (e) => {
    const ev = e as SecurityPolicyViolationEvent
    if (ev.blockedURI) blocked.add(originOf(ev.blockedURI))
  })
  return { blocked: (url) => blocked.has(originOf(url)) }
}
