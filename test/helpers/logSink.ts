import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import { REDACT_PATHS } from '../../src/logger.js'

/** A pino logger whose lines are kept (raw text and parsed), to assert on what was logged. */
export function createLogSink(level = 'debug'): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(line)
      cb()
    },
  })
  const logger = pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream)
  return { logger, lines, text: () => lines.join('\n') }
}
