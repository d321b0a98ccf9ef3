export type WalletdErrorOptions = {
  /** The underlying error; kept for logs, never serialized to a client. */
  cause?: unknown
  /** Extra lines for logs and the CLI (never sent over RPC). */
  metaMessages?: string[]
  /** Longer explanation for logs. */
  details?: string
}

/**
 * Base of every error walletd raises. `shortMessage` is the one line a person reads; the long
 * `message` adds `metaMessages` and `details` for logs.
 */
export class WalletdError extends Error {
  override name = 'WalletdError'
  readonly shortMessage: string
  readonly details: string | undefined
  readonly metaMessages: string[] | undefined

  constructor(shortMessage: string, options: WalletdErrorOptions = {}) {
    const lines = [shortMessage]
    if (options.metaMessages?.length) lines.push('', ...options.metaMessages)
    if (options.details) lines.push('', `Details: ${options.details}`)
    super(lines.join('\n'), options.cause === undefined ? undefined : { cause: options.cause })
    this.shortMessage = shortMessage
    this.details = options.details
    this.metaMessages = options.metaMessages
  }

  /** Follows the `cause` chain; returns the first error that matches `fn`, or the last one. */
  walk(fn?: (err: unknown) => boolean): unknown {
    let err: unknown = this
    while (err instanceof Error) {
      if (fn?.(err)) return err
      if (err.cause === undefined) break
      err = err.cause
    }
    return fn ? undefined : err
  }
}
