import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync } from 'node:fs'
import type { Address } from 'viem'
import type { StateWriter } from '../util/createStateWriter.js'
import { writeFileAtomic } from '../util/writeFileAtomic.js'
import type { Session, SessionChange } from './types.js'

export type SessionStoreOptions = {
  /** Told when a corrupt sessions file was set aside (grants then start empty: fail closed). */
  onCorrupt?: (file: string, movedTo: string) => void
  /** Where grants persist (atomic writes); undefined keeps them in memory. */
  file?: string | undefined
  defaultChainId: () => number
  now?: () => number
  /**
   * Writes the file whole or throws (default: writeFileAtomic). The daemon passes its state
   * writer, which turns a full disk or a read-only data dir into a clear JSON-RPC error.
   */
  write?: StateWriter
}

export type SessionStore = ReturnType<typeof createSessionStore>

/**
 * Per-origin sessions: granted accounts and active chain. Grants persist across restarts; a
 * decline is not stored. Changes are announced to listeners (the server pushes them as
 * `accountsChanged` / `chainChanged` to every connection of the origin).
 */
export function createSessionStore({
  file,
  defaultChainId,
  now = Date.now,
  onCorrupt,
  write = writeFileAtomic,
}: SessionStoreOptions) {
  const sessions = new Map<string, Session>()
  const listeners = new Set<(change: SessionChange) => void>()

  // Stryker disable next-line ConditionalExpression: without a file, reading undefined throws and is ignored alike
  if (file) {
    let raw: string | undefined
    try {
      // Stryker disable next-line StringLiteral: JSON.parse takes a Buffer as well
      raw = readFileSync(file, 'utf8')
    } catch {}
    if (raw) {
      try {
        const parsed = JSON.parse(raw) as { sessions?: unknown }
        // Stryker disable next-line ConditionalExpression,StringLiteral: iterating a non-array throws into the same catch; the message is never shown
        if (!Array.isArray(parsed.sessions)) throw new Error('no sessions array')
        for (const s of parsed.sessions as Session[]) {
          if (
            // Stryker disable next-line OptionalChaining: a null entry throws into the same catch
            typeof s?.origin !== 'string' ||
            !Array.isArray(s.accounts) ||
            !Number.isSafeInteger(s.chainId)
          ) {
            // Stryker disable next-line StringLiteral: the message is never shown (the catch sets the file aside)
            throw new Error('malformed session')
          }
          sessions.set(s.origin, { ...s, accounts: [...s.accounts] })
        }
      } catch {
        // Keep the evidence, start with no grants (a lost grant only means asking again).
        sessions.clear()
        const movedTo = `${file}.corrupt-${now()}-${randomBytes(3).toString('hex')}`
        try {
          renameSync(file, movedTo)
        } catch {}
        onCorrupt?.(file, movedTo)
      }
    }
  }

  function persist() {
    if (!file) return
    const list = [...sessions.values()].filter(
      (s) => s.grantedAt !== null || s.chainId !== defaultChainId() || (s.lastAccounts?.length ?? 0) > 0,
    )
    write(file, `${JSON.stringify({ version: 1, sessions: list }, null, 2)}\n`)
  }

  /**
   * Applies `mutate` to the origin's session and saves. When the save fails the session is put
   * back as it was (a grant or a chain switch that is not on disk does not take effect) and the
   * error is thrown to the request that asked for it.
   */
  function change(origin: string, mutate: (s: Session) => void): Session {
    const existing = sessions.get(origin)
    const before = existing ? structuredClone(existing) : undefined
    const s = get(origin)
    mutate(s)
    try {
      persist()
    } catch (err) {
      if (before) {
        for (const key of Object.keys(s)) if (!(key in before)) delete (s as Record<string, unknown>)[key]
        Object.assign(s, before)
      } else sessions.delete(origin)
      throw err
    }
    return s
  }

  function emit(change: SessionChange) {
    for (const fn of listeners) fn(change)
  }

  function get(origin: string): Session {
    let s = sessions.get(origin)
    const t = now()
    if (!s) {
      s = { origin, accounts: [], chainId: defaultChainId(), createdAt: t, lastUsedAt: t, grantedAt: null }
      sessions.set(origin, s)
    } else s.lastUsedAt = t
    return s
  }

  return {
    get,
    /**
     * The origin's session, or a default view (no grant, the default chain) stored nowhere: reads
     * never grow the store, whatever origins a token holder invents.
     */
    view(origin: string): Session {
      return (
        sessions.get(origin) ?? {
          origin,
          accounts: [],
          chainId: defaultChainId(),
          createdAt: 0,
          lastUsedAt: 0,
          grantedAt: null,
        }
      )
    },
    /** Without creating one. */
    peek(origin: string): Session | undefined {
      return sessions.get(origin)
    },
    list(): Session[] {
      return [...sessions.values()].filter((s) => s.grantedAt !== null)
    },
    isPermitted(origin: string, address: Address): boolean {
      const s = sessions.get(origin)
      if (!s) return false
      const a = address.toLowerCase()
      return s.accounts.some((x) => x.toLowerCase() === a)
    },
    /** Grants `accounts`; `accountsChanged` is announced only when what the origin sees changed. */
    grantAccounts(origin: string, accounts: Address[]) {
      let changed = false
      const s = change(origin, (s) => {
        changed =
          s.accounts.length !== accounts.length ||
          s.accounts.some((a, i) => a.toLowerCase() !== accounts[i]!.toLowerCase())
        s.accounts = [...accounts]
        s.lastAccounts = [...accounts]
        s.grantedAt = now()
      })
      if (changed) emit({ kind: 'accountsChanged', origin, accounts: s.accounts })
    },
    /**
     * Revokes the origin's grant. Revoking fails closed: when the file cannot be saved the grant
     * is still gone from memory (and the error is thrown, so the caller learns it is not on disk).
     */
    revoke(origin: string): boolean {
      const s = sessions.get(origin)
      if (!s || s.grantedAt === null) return false
      s.accounts = []
      s.grantedAt = null
      emit({ kind: 'accountsChanged', origin, accounts: [] })
      persist()
      return true
    },
    setChain(origin: string, chainId: number) {
      if (get(origin).chainId === chainId) return
      change(origin, (s) => {
        s.chainId = chainId
      })
      emit({ kind: 'chainChanged', origin, chainId })
    },
    onChange(fn: (change: SessionChange) => void): () => void {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
}
