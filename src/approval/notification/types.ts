/** One notification: its title, its text, the buttons offered, how long it may stay. */
export type NotificationSpec = {
  summary: string
  body: string
  /** `approve` is offered only for what a notification may approve by itself. */
  actions: ReadonlyArray<{ key: 'approve' | 'reject'; label: string }>
  timeoutMs: number
}

/**
 * Shows notifications through the platform's service. `show` resolves with the key of the
 * action the person chose, or null when the notification was dismissed, expired, or the signal
 * aborted (it is then closed); it throws NotificationUnavailableError when no service answers.
 */
export interface NotificationBackend {
  readonly name: string
  show(spec: NotificationSpec, signal: AbortSignal): Promise<string | null>
  close(): void
}

/** No notification service could be reached (no session bus, no server, no osascript). */
export class NotificationUnavailableError extends Error {
  override name = 'NotificationUnavailableError'
}
