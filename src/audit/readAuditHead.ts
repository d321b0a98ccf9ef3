import { readFileSync } from 'node:fs'

/** The head file's `seq` and `hash`, or null when absent or unreadable. */
export function readAuditHead(headFile: string): { seq: number; hash: string } | null {
  let text: string
  try {
    text = readFileSync(headFile, 'utf8')
  } catch {
    return null
  }
  const m = /^(\d{1,15}) ([0-9a-f]{64})\n/.exec(text)
  return m ? { seq: Number(m[1]), hash: m[2]! } : null
}
