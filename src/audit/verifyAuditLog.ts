import { readFileSync } from 'node:fs'
import type { JsonSafe } from '../util/toJsonSafe.js'
import { canonicalJson } from './canonicalJson.js'
import { hashAuditLine } from './hashAuditLine.js'
import { readAuditHead } from './readAuditHead.js'
import { GENESIS_HASH } from './types.js'

export type AuditVerdict =
  | {
      ok: true
      lines: number
      lastHash: string
      head: 'matches' | 'missing' | 'one behind (a crash between the line and the head)'
    }
  | { ok: false; lines: number; line: number; reason: string }

/**
 * Checks the hash chain of an audit log, line by line, and names the first bad line: not JSON,
 * not in canonical form or its hash wrong (edited), a `prev` or `seq` that does not follow the
 * line before (a line removed or reordered), a last line without its line end (cut short). With
 * the head file, lines removed at the end show too.
 */
export function verifyAuditLog(file: string, headFile?: string): AuditVerdict {
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const torn = lines.pop()
  let prev = GENESIS_HASH
  let seq = 0
  for (const [i, line] of lines.entries()) {
    const n = i + 1
    const bad = (reason: string): AuditVerdict => ({ ok: false, lines: lines.length, line: n, reason })
    let parsed: Record<string, JsonSafe>
    try {
      parsed = JSON.parse(line)
    } catch {
      return bad('not JSON (edited or corrupted)')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('not a record')
    const { hash, ...body } = parsed
    if (typeof hash !== 'string' || typeof body.prev !== 'string' || typeof body.seq !== 'number')
      return bad('missing seq, prev or hash (edited)')
    if (canonicalJson(parsed) !== line) return bad('not in canonical form (edited)')
    if (hashAuditLine(body.prev, body) !== hash) return bad('its hash does not match its content (edited)')
    if (body.prev !== prev || body.seq !== seq + 1)
      return bad(
        n === 1
          ? 'it does not start a chain (lines before it were removed)'
          : `it does not follow line ${n - 1} (seq ${body.seq} after ${seq}: a line was removed or reordered)`,
      )
    prev = hash
    seq = body.seq
  }
  if (torn !== undefined && torn.length > 0)
    return {
      ok: false,
      lines: lines.length + 1,
      line: lines.length + 1,
      reason: 'cut short: no line end (a write was interrupted)',
    }
  const head = headFile ? readAuditHead(headFile) : null
  if (!head) return { ok: true, lines: lines.length, lastHash: prev, head: 'missing' }
  if (head.seq > seq)
    return {
      ok: false,
      lines: lines.length,
      line: lines.length + 1,
      reason: `the log ends at seq ${seq} but its head says ${head.seq}: lines were removed at the end`,
    }
  if (head.seq === seq && head.hash !== prev)
    return {
      ok: false,
      lines: lines.length,
      line: lines.length,
      reason: 'the last line is not the one the head recorded (replaced)',
    }
  if (head.seq < seq - 1)
    return {
      ok: false,
      lines: lines.length,
      line: head.seq + 2,
      reason: `lines after seq ${head.seq + 1} were added after the head (appended by something else)`,
    }
  return {
    ok: true,
    lines: lines.length,
    lastHash: prev,
    head: head.seq === seq ? 'matches' : 'one behind (a crash between the line and the head)',
  }
}
