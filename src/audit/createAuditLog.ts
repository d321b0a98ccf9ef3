import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { InsecurePermissionsError } from '../errors/startup.js'
import type { JsonSafe } from '../util/toJsonSafe.js'
import { ensurePrivateDir } from '../util/writeFileAtomic.js'
import { canonicalJson } from './canonicalJson.js'
import { compactForAudit } from './compactForAudit.js'
import { chainAuditLine, hashAuditLine } from './hashAuditLine.js'
import { readAuditHead } from './readAuditHead.js'
import { type AuditEvent, type AuditSink, GENESIS_HASH } from './types.js'

export type AuditLogOptions = {
  /** The log, `<dataDir>/audit.jsonl`. */
  file: string
  /** The last sequence number and hash, `<dataDir>/audit.head` (detects lines removed at the end). */
  headFile: string
  now?: () => number
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void }
  /**
   * How long a line may wait for its sync when no answer waits for it (default 5 ms); an answer
   * that waits (`synced()`) starts the sync at once.
   */
  syncDelayMs?: number
  /** The fdatasync(2) used for group commits (tests hold it to see what waits for it). */
  sync?: (fd: number, done: (err: Error | null) => void) => void
}

export type AuditLog = AuditSink & {
  readonly file: string
  /** Lines in the current chain. */
  readonly seq: number
  /** Lines known to be on disk (fdatasync'd); `seq` − `syncedSeq` lines wait for the next group. */
  readonly syncedSeq: number
  close(): void
}

/** Fields of every line that an event cannot set. */
const RESERVED = ['seq', 'time', 'prev', 'hash'] as const

/** The end of the file read at start to find the last line (a line is far smaller: strings over 512 characters are digested). */
const TAIL_BYTES = 1024 * 1024

/**
 * The audit log: append-only JSONL, 0600, in the data dir. Each line is the canonical JSON of
 * `{ seq, time, type, …fields, prev, hash }`, where `prev` is the previous line's hash (64 zeros
 * before the first) and `hash` = sha256(prev + the canonical line without `hash`): editing,
 * removing or reordering a line breaks the chain at that line. After each line the head file is
 * rewritten in place with the last `seq` and `hash`, so removing lines at the end shows too.
 * Each line is written with one write (and the head after it) at once, in order, when the event is
 * recorded; lines are fdatasync'd in groups (group commit): `synced()` resolves once every line
 * recorded before the call is on disk, and an answer that carries a signature waits for it. One
 * fdatasync covers every line written while the previous one ran, so concurrent signatures share
 * it. A line nobody waits for is synced within `syncDelayMs`; `close()` syncs what is left.
 *
 * Crash safety, decided at start: a last line without its line end (the process died in the
 * middle of a write) is moved to `audit.jsonl.torn-<time>`, cut from the log, and the chain goes on
 * from the last whole line with a `recovered` record naming the torn bytes (count, sha256, where
 * kept). A log whose last whole line does not verify, or that ends before its head says it should,
 * is set aside as `audit.jsonl.broken-<time>` (evidence, never rewritten) and a new chain starts
 * with a `restarted` record naming it and its sha256.
 */
export function createAuditLog({
  file,
  headFile,
  now = Date.now,
  log,
  syncDelayMs = 5,
  sync = fdatasync,
}: AuditLogOptions): AuditLog {
  ensurePrivateDir(dirname(file))
  for (const path of [file, headFile]) {
    let st: import('node:fs').Stats | undefined
    try {
      st = lstatSync(path)
    } catch {}
    if (st?.isSymbolicLink()) throw new InsecurePermissionsError(`${path} is a symlink; walletd refuses it.`)
    if (st && (st.mode & 0o077) !== 0) chmodSync(path, 0o600)
  }
  const notes: AuditEvent[] = []
  const stamp = () =>
    `${new Date(now()).toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`
  let { seq, hash } = recoverChain()

  const fd = openSync(file, 'a', 0o600)
  const headFd = openSync(headFile, 'w', 0o600)
  let closed = false
  let failing = false
  /** Lines on disk; the sync in flight (covering lines up to `syncing`); who waits for what. */
  let syncedSeq = seq
  let syncing = 0
  let delayed: ReturnType<typeof setTimeout> | undefined
  const waiters: { seq: number; resolve: () => void }[] = []
  let syncFailing = false
  writeHead()
  for (const note of notes) record(note)

  function recoverChain(): { seq: number; hash: string } {
    let size = 0
    try {
      size = lstatSync(file).size
    } catch {
      return { seq: 0, hash: GENESIS_HASH }
    }
    if (size === 0) return { seq: 0, hash: GENESIS_HASH }
    const rfd = openSync(file, 'r+')
    try {
      const start = Math.max(0, size - TAIL_BYTES)
      const buf = Buffer.alloc(size - start)
      readSync(rfd, buf, 0, buf.length, start)
      let end = buf.length
      if (buf[end - 1] !== 0x0a) {
        const lastNl = buf.lastIndexOf(0x0a)
        const torn = buf.subarray(lastNl + 1)
        const savedTo = `${file}.torn-${stamp()}`
        writeFileSync(savedTo, torn, { mode: 0o600 })
        ftruncateSync(rfd, start + lastNl + 1)
        end = lastNl + 1
        notes.push({
          type: 'recovered',
          tornBytes: torn.length,
          tornSha256: createHash('sha256').update(torn).digest('hex'),
          savedTo,
        })
        log?.warn(
          { file, savedTo, bytes: torn.length },
          'audit log: a torn last line was set aside; the chain goes on',
        )
        if (end === 0) return { seq: 0, hash: GENESIS_HASH }
      }
      const prevNl = buf.lastIndexOf(0x0a, end - 2)
      if (prevNl === -1 && start > 0) return setAside('its last line is longer than the tail read')
      const line = buf.subarray(prevNl + 1, end - 1).toString('utf8')
      let parsed: { seq?: unknown; prev?: unknown; hash?: unknown }
      try {
        parsed = JSON.parse(line)
      } catch {
        return setAside('its last line is not JSON')
      }
      const { hash: h, ...body } = parsed as { hash?: unknown } & Record<string, JsonSafe>
      if (
        typeof h !== 'string' ||
        typeof parsed.prev !== 'string' ||
        !Number.isSafeInteger(parsed.seq) ||
        canonicalJson(parsed as JsonSafe) !== line ||
        hashAuditLine(parsed.prev, body) !== h
      )
        return setAside('its last line does not verify')
      const head = readAuditHead(headFile)
      if (head && head.seq > (parsed.seq as number))
        return setAside(`it ends at line ${parsed.seq} but its head says ${head.seq}: lines were removed`)
      return { seq: parsed.seq as number, hash: h }
    } finally {
      closeSync(rfd)
    }
  }

  function setAside(reason: string): { seq: number; hash: string } {
    const previousFile = `${file}.broken-${stamp()}`
    const previousSha256 = createHash('sha256').update(readFileSync(file)).digest('hex')
    renameSync(file, previousFile)
    notes.length = 0
    notes.push({ type: 'restarted', previousFile, previousSha256, reason })
    log?.error(
      { file, previousFile, reason },
      'audit log: set aside (it does not verify); a new chain starts',
    )
    return { seq: 0, hash: GENESIS_HASH }
  }

  function writeHead(): void {
    const text = Buffer.from(`${String(seq).padStart(15, '0')} ${hash}\n`)
    writeSync(headFd, text, 0, text.length, 0)
  }

  function record(event: AuditEvent): void {
    if (closed) return
    try {
      const fields = compactForAudit(event as unknown as JsonSafe) as Record<string, JsonSafe>
      // The chain's own fields cannot be set by an event: one that names them gets them renamed.
      for (const key of RESERVED)
        if (key in fields) {
          fields[`${key}_`] = fields[key]!
          delete fields[key]
        }
      const body = { ...fields, seq: seq + 1, time: new Date(now()).toISOString(), prev: hash }
      const { hash: h, line: text } = chainAuditLine(hash, body)
      const line = Buffer.from(`${text}\n`)
      let off = 0
      while (off < line.length) off += writeSync(fd, line, off, line.length - off)
      seq += 1
      hash = h
      writeHead()
      failing = false
      if (!delayed && syncing === 0) {
        delayed = setTimeout(startSync, syncDelayMs)
        delayed.unref?.()
      }
    } catch (err) {
      if (!failing) log?.error({ err, file }, 'audit log: a record could not be written')
      failing = true
    }
  }

  /** Starts one fdatasync covering every line written so far, unless one is running (it starts the next when done). */
  function startSync(): void {
    if (delayed) clearTimeout(delayed)
    delayed = undefined
    if (syncing !== 0 || closed || syncedSeq >= seq) return
    const target = seq
    syncing = target
    sync(fd, (err) => {
      syncing = 0
      // Closed meanwhile: close() synced everything and released every waiter.
      if (closed) return
      if (err) {
        if (!syncFailing) log?.error({ err, file }, 'audit log: lines could not be synced to disk')
        syncFailing = true
      } else syncFailing = false
      // A failed sync releases its waiters as a failed write does (the answer is not failed after
      // the fact); the lines stay in the file.
      if (target > syncedSeq) syncedSeq = target
      release(syncedSeq)
      if (waiters.length > 0) startSync()
      else if (syncedSeq < seq && !closed) {
        delayed = setTimeout(startSync, syncDelayMs)
        delayed.unref?.()
      }
    })
  }

  function release(upTo: number): void {
    let kept = 0
    for (const w of waiters) {
      if (w.seq <= upTo) w.resolve()
      else waiters[kept++] = w
    }
    waiters.length = kept
  }

  function synced(): Promise<void> {
    if (closed || syncedSeq >= seq) return Promise.resolve()
    const wanted = seq
    return new Promise<void>((resolve) => {
      waiters.push({ seq: wanted, resolve })
      if (syncing === 0) startSync()
    })
  }

  return {
    file,
    get seq() {
      return seq
    },
    get syncedSeq() {
      return syncedSeq
    },
    record,
    synced,
    close() {
      if (closed) return
      closed = true
      if (delayed) clearTimeout(delayed)
      delayed = undefined
      try {
        fdatasyncSync(fd)
        syncedSeq = seq
      } catch {}
      release(Number.POSITIVE_INFINITY)
      closeSync(fd)
      closeSync(headFd)
    },
  }
}
