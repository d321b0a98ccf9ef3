import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { TokenError } from '../errors/startup.js'
import { writeFileAtomic } from '../util/writeFileAtomic.js'

export type TokenRecord = {
  name: string
  /** sha256 of the token, hex. The token itself is never stored. */
  hash: string
  createdAt: number
  /** When set, the token only speaks for these (normalised) origins. */
  origins: string[] | null
  /**
   * True for tokens made with `--url`: they may also be presented as a path segment
   * (`/rpc/<token>`), on requests without an Origin header only. Absent in older files: false.
   */
  url?: boolean
}

export type TokenInfo = Omit<TokenRecord, 'hash'>

export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** base64url, so a token fits a Sec-WebSocket-Protocol entry. */
const TOKEN_FORMAT = /^wdt_[A-Za-z0-9_-]{43}$/

/** Whether `token` has the shape of a host token (`wdt_` + 43 base64url characters); no lookup. */
export const isWellFormedToken = (token: string) => TOKEN_FORMAT.test(token)

// Stryker disable next-line StringLiteral: utf8 is the default encoding of a string
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

export type TokenStore = ReturnType<typeof createTokenStore>

/**
 * Named host tokens, stored hashed in `tokens.json` (0600, atomic writes). Verification hashes the
 * presented token and compares it with every record in constant time, against the records in
 * memory: it touches no file. The file is read when the store is created, before each create or
 * revoke (read-modify-write), and by `refresh()`, which the daemon calls on its 500 ms token watch
 * tick: `walletd token create|revoke` in another process takes effect within a tick. `refresh()`
 * stats the file and re-reads it only when its mtime, size or inode changed. A file that is not
 * valid JSON authorises nobody (fail closed) until it is fixed.
 */
export function createTokenStore({ file, now = Date.now }: { file: string; now?: () => number }) {
  // Stryker disable next-line ArrayDeclaration: reload() below sets it before any use
  let records: TokenRecord[] = []
  // Stryker disable next-line StringLiteral: any value that is no file stamp forces the first read
  let stamp = ''
  /** Counts every change of the records in memory (a reload, a create, a revoke). */
  let generation = 0

  function reload(): void {
    let st: ReturnType<typeof statSync> | undefined
    try {
      st = statSync(file)
    } catch {
      if (stamp !== 'missing') generation++
      records = []
      // Stryker disable next-line StringLiteral: any value that is no file stamp works
      stamp = 'missing'
      return
    }
    const next = `${st.mtimeMs}:${st.size}:${st.ino}`
    // Stryker disable next-line ConditionalExpression: re-reading an unchanged file gives the same records; the stamp saves work
    if (next === stamp) return
    generation++
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tokens?: TokenRecord[] }
      records = Array.isArray(parsed.tokens)
        ? parsed.tokens.filter((r) => typeof r.hash === 'string' && r.hash.length === 64)
        : []
    } catch {
      // A corrupt file authorises nobody (fail closed).
      records = []
    }
    stamp = next
  }

  reload()

  /** The record whose hash matches, comparing with every record in constant time (in memory). */
  function find(token: string | undefined): TokenRecord | null {
    // Stryker disable next-line LogicalOperator: a malformed token matches no hash either; the check saves the hashing
    if (!token || !TOKEN_FORMAT.test(token)) return null
    const presented = sha256(token)
    let match: TokenRecord | null = null
    for (const r of records) {
      const stored = Buffer.from(r.hash, 'hex')
      // Stryker disable next-line ConditionalExpression: stored hashes are filtered to 32 bytes on load; the length check guards timingSafeEqual
      if (stored.length === presented.length && timingSafeEqual(stored, presented)) match = r
    }
    return match
  }

  function save(): void {
    writeFileAtomic(file, `${JSON.stringify({ version: 1, tokens: records }, null, 2)}\n`)
    // Stryker disable next-line StringLiteral: any value that is no file stamp forces the re-read
    stamp = ''
    reload()
  }

  return {
    /** Creates (or replaces) a named token; the plain token is returned once and never stored. */
    create(
      name: string,
      options: { origins?: string[] | null; replace?: boolean; url?: boolean } = {},
    ): { token: string; info: TokenInfo } {
      if (!TOKEN_NAME.test(name))
        throw new TokenError(`Invalid token name "${name}": use 1–64 letters, digits, "_", "." or "-".`)
      if (options.url && options.origins && options.origins.length > 0) {
        throw new TokenError(
          'A token URL is for clients without an Origin header; it cannot be bound to origins (drop --origin or --url).',
        )
      }
      reload()
      if (records.some((r) => r.name === name) && !options.replace) {
        throw new TokenError(`A token named "${name}" already exists; revoke it first or pick another name.`)
      }
      const token = `wdt_${randomBytes(32).toString('base64url')}`
      const record: TokenRecord = {
        name,
        hash: sha256(token).toString('hex'),
        createdAt: now(),
        origins: options.origins && options.origins.length > 0 ? [...options.origins] : null,
        ...(options.url ? { url: true } : {}),
      }
      records = [...records.filter((r) => r.name !== name), record]
      save()
      const { hash: _hash, ...info } = record
      return { token, info }
    },
    /** The tokens as last read (at creation, by `refresh()`, or by this store's own writes). */
    list(): TokenInfo[] {
      return records.map(({ hash: _hash, ...info }) => info)
    },
    /** Re-reads the file if it changed since the last read (one `stat` when it did not). */
    refresh(): void {
      reload()
    },
    revoke(name: string): boolean {
      reload()
      const before = records.length
      records = records.filter((r) => r.name !== name)
      if (records.length === before) return false
      save()
      return true
    },
    /**
     * The token's name when it is valid (and allowed for `origin`, if the token is bound to
     * origins), else null. Constant-time over all records.
     */
    /**
     * Changes whenever the records in memory change (a reload that found the file changed, a
     * create, a revoke): a verdict cached under one generation is stale under the next.
     */
    get generation(): number {
      return generation
    },
    verify(token: string | undefined, origin: string | null): string | null {
      const match = find(token)
      if (!match) return null
      if (match.origins && (origin === null || !match.origins.includes(origin))) return null
      return match.name
    },
    /**
     * The name of the token whose handshake key produced `proof` (base64url HMAC-SHA256 of
     * `message`), if it may speak for `origin`; else null. The handshake key is the token's
     * SHA-256, the very hash stored here, so the token itself never crosses the socket. Every record
     * is tried, each compared in constant time.
     */
    verifyProof(proof: string, message: string, origin: string): string | null {
      const presented = Buffer.from(proof, 'base64url')
      if (presented.length !== 32 || presented.toString('base64url') !== proof) return null
      let match: TokenRecord | null = null
      for (const r of records) {
        // Stryker disable next-line StringLiteral: utf8 is the default encoding of a string
        const expected = createHmac('sha256', Buffer.from(r.hash, 'hex')).update(message, 'utf8').digest()
        if (timingSafeEqual(expected, presented)) match = r
      }
      if (!match) return null
      if (match.origins && !match.origins.includes(origin)) return null
      return match.name
    },
    /**
     * The name of a token presented in a URL path (`/rpc/<token>`): only tokens made with `url`,
     * and only on requests without an Origin header (the caller checks that). Else null.
     */
    verifyUrl(token: string | undefined): string | null {
      const match = find(token)
      return match?.url === true && match.origins === null ? match.name : null
    },
  }
}
