import { escapeTerminal } from './escapeTerminal.js'
import type { ApprovalRequest } from './types.js'

export type RenderApprovalOptions = {
  now: number
  /** Requests waiting behind this one. */
  waiting: number
  /** The line that says how to approve. */
  instruction: string
}

export type RenderedApproval = { ok: true; text: string } | { ok: false; reason: 'too-large' }

/** Longer than this and the request is refused rather than shown in part (a person cannot review it). */
export const MAX_RENDERED_CHARS = 64 * 1024
const MAX_DEPTH = 16

const LABEL = 10

/**
 * The text of an approval prompt, the same for the terminal, `walletd prompts` and notifications:
 * origin (in full), method, chain, the method's summary, its details (only what `prepare` put
 * there), the accounts to choose from (connect), warnings, the request id and expiry. Every value is
 * escaped (escapeTerminal) and every line walletd prints from untrusted text is indented, so
 * nothing a page sends can start a line at column 0 or pass for walletd's own words.
 */
export function renderApprovalRequest(
  request: ApprovalRequest,
  options: RenderApprovalOptions,
): RenderedApproval {
  const lines: string[] = []
  const field = (label: string, value: unknown) =>
    lines.push(`  ${label.padEnd(LABEL)}${escapeTerminal(value)}`)
  lines.push('', `━━ walletd: approval request ${'━'.repeat(44)}`)
  field('origin', request.origin)
  field('method', request.method)
  field('chain', request.chainId)
  field('summary', request.summary)
  for (const [key, value] of Object.entries(request.details)) {
    if (value === undefined) continue
    renderValue(lines, key, value, 1, 0)
  }
  const { choices } = request
  if (choices) {
    // The accounts, listed once, numbered for the answer; * marks the default choice.
    lines.push(`  ${'accounts'.padEnd(LABEL)}choose one or more (* = default)`)
    choices.accounts.forEach((account, i) => {
      const mark = choices.defaults.includes(account) ? '*' : ' '
      lines.push(`    ${String(i + 1).padStart(2)}${mark} ${escapeTerminal(account)}`)
    })
  }
  for (const w of request.warnings) {
    lines.push(
      `  ${(w.level === 'critical' ? 'CRITICAL' : 'WARNING').padEnd(LABEL)}${escapeTerminal(w.message)}`,
    )
  }
  const seconds = Math.max(0, Math.round((request.expiresAt - options.now) / 1000))
  field('request', `${request.id}, expires in ${seconds} s (${new Date(request.expiresAt).toISOString()})`)
  if (options.waiting > 0) field('queue', `${options.waiting} more waiting`)
  lines.push(`  ${options.instruction}`)
  const text = `${lines.join('\n')}\n`
  return text.length > MAX_RENDERED_CHARS ? { ok: false, reason: 'too-large' } : { ok: true, text }
}

function renderValue(lines: string[], key: string, value: unknown, indent: number, depth: number): void {
  const pad = '  '.repeat(indent)
  const label = escapeTerminal(key)
  if (depth > MAX_DEPTH) {
    lines.push(`${pad}${label}: (nested too deeply to show)`)
    return
  }
  if (value !== null && typeof value === 'object') {
    lines.push(`${pad}${label}${Array.isArray(value) ? ` (${value.length} items)` : ''}`)
    const entries = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v] as const)
      : Object.entries(value as Record<string, unknown>)
    for (const [k, v] of entries) renderValue(lines, k, v, indent + 1, depth + 1)
    return
  }
  // Objects are handled above: only a string can hold a line break.
  const text = String(value)
  if (text.includes('\n')) {
    // A multi-line message: every line behind a gutter, so none can pass for walletd's own.
    lines.push(`${pad}${label}`)
    for (const line of escapeTerminal(text, { keepNewlines: true }).split('\n'))
      lines.push(`${pad}  │ ${line}`)
    return
  }
  const gap = indent === 1 ? ' '.repeat(Math.max(1, LABEL - label.length)) : ' '
  lines.push(`${pad}${label}${indent === 1 ? '' : ':'}${gap}${escapeTerminal(text) || '""'}`)
}
