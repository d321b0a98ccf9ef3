import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger }

export type LoggerOptions = {
  level: string
  format: 'auto' | 'json' | 'pretty'
  /** Where lines go (tests pass a sink). Default: stderr. */
  destination?: DestinationStream
}

/**
 * Paths censored in every log line, declared once. Tokens, secrets and signing payloads never
 * reach a log; request params and results are only logged at debug, and then redacted.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'req.headers.cookie',
  'password',
  '*.password',
  'passphrase',
  '*.passphrase',
  'privateKey',
  '*.privateKey',
  'mnemonic',
  '*.mnemonic',
  'secret',
  '*.secret',
  'params',
  '*.params',
  'result',
  '*.result',
]

export function createLogger({ level, format, destination }: LoggerOptions): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  }
  const pretty = format === 'pretty' || (format === 'auto' && !destination && process.stderr.isTTY)
  if (pretty && !destination) {
    return pino(
      options,
      pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }),
    )
  }
  return pino(options, destination ?? pino.destination({ dest: 2, sync: false }))
}
