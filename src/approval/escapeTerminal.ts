/**
 * Characters a page must not be able to send to the terminal raw: the backslash (so an escape we
 * print cannot be confused with one the page typed), control characters (C0 with `\r`, `\n`, `\t`
 * and ESC, DEL, C1 with CSI U+009B), format characters (bidi overrides and isolates U+202A–U+202E,
 * U+2066–U+2069, marks U+200E/U+200F/U+061C, zero-width U+200B–U+200D, U+2060–U+2064, U+FEFF,
 * soft hyphen, tag characters U+E0000–U+E007F), the line and paragraph separators, and lone
 * surrogates.
 */
const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\r': '\\r', '\n': '\\n', '\t': '\\t' }

export type EscapeTerminalOptions = {
  /** Keep `\n` as a line break (the caller indents every line so none can pass for walletd's own). */
  keepNewlines?: boolean
}

/**
 * Makes untrusted text (an origin, a message, a token name, typed-data fields) safe to print on a
 * terminal: nothing in it can move the cursor, erase a line, change colours, reorder or hide text.
 * Each unsafe character becomes a visible escape — `\x1b`, `\r`, `\u202e`, `\u{e0041}`, `\\` — and
 * everything else is kept as it is.
 */
export function escapeTerminal(text: unknown, { keepNewlines = false }: EscapeTerminalOptions = {}): string {
  return String(text).replace(UNSAFE, (c) => {
    if (c === '\n' && keepNewlines) return c
    const named = NAMED[c]
    if (named) return named
    const cp = c.codePointAt(0)!
    // Stryker disable next-line EqualityOperator: U+00FF is a letter, never unsafe
    if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`
    // Stryker disable next-line EqualityOperator: U+FFFF is a noncharacter, not in the unsafe classes
    if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`
    return `\\u{${cp.toString(16)}}`
  })
}
