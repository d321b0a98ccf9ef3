import { execFile } from 'node:child_process'
import { type NotificationBackend, type NotificationSpec, NotificationUnavailableError } from './types.js'

export type MacosBackendOptions = {
  /** Runs osascript; tests pass a fake. Default: node's execFile. */
  execFile?: (
    file: string,
    args: readonly string[],
    options: { signal: AbortSignal; timeout: number },
    callback: (error: Error | null, stdout: string) => void,
  ) => void
}

/** `display dialog` with the text passed as an argument (never spliced into the script). */
const DIALOG = `on run argv
  set answer to display dialog (item 2 of argv) with title (item 1 of argv) buttons {"Reject", (item 3 of argv)} default button "Reject" cancel button "Reject" giving up after (item 4 of argv as integer) with icon caution
  if gave up of answer then return "gave-up"
  return button returned of answer
end run`

const NOTE = `on run argv
  display notification (item 2 of argv) with title "walletd" subtitle (item 1 of argv)
end run`

/**
 * macOS: a request a notification may approve becomes a modal `display dialog` (Reject is the
 * default and the cancel button); anything else a `display notification` that points to the
 * CLI (it decides nothing). Through /usr/bin/osascript with the text as arguments. Written for
 * macOS; not run by the tests on Linux.
 */
export function createMacosBackend(options: MacosBackendOptions = {}): NotificationBackend {
  const run = options.execFile ?? (execFile as unknown as NonNullable<MacosBackendOptions['execFile']>)
  const osascript = (script: string, args: string[], signal: AbortSignal, timeout: number) =>
    new Promise<string>((resolve, reject) => {
      run('/usr/bin/osascript', ['-e', script, ...args], { signal, timeout }, (error, stdout) => {
        if (error) reject(error)
        else resolve(String(stdout).trim())
      })
    })
  return {
    name: 'macos',
    async show(spec: NotificationSpec, signal: AbortSignal): Promise<string | null> {
      const approve = spec.actions.find((a) => a.key === 'approve')
      if (!approve) {
        try {
          await osascript(NOTE, [spec.summary, spec.body.slice(0, 1000)], signal, 10_000)
        } catch (err) {
          if (signal.aborted) return null
          throw new NotificationUnavailableError(`osascript failed: ${(err as Error).message}`)
        }
        return null
      }
      const seconds = Math.max(1, Math.floor(spec.timeoutMs / 1000))
      try {
        const answer = await osascript(
          DIALOG,
          [spec.summary, spec.body, approve.label, String(seconds)],
          signal,
          spec.timeoutMs + 5000,
        )
        return answer === approve.label ? 'approve' : answer === 'Reject' ? 'reject' : null
      } catch (err) {
        if (signal.aborted) return null
        // The cancel button ("Reject") makes osascript exit with error -128.
        if (/-128/.test(String((err as Error).message))) return 'reject'
        throw new NotificationUnavailableError(`osascript failed: ${(err as Error).message}`)
      }
    },
    close() {},
  }
}
