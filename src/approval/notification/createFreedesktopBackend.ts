import { type MessageBus, type ProxyInterface, sessionBus, Variant } from '@jellybrick/dbus-next'
import { type NotificationBackend, type NotificationSpec, NotificationUnavailableError } from './types.js'

export type FreedesktopBackendOptions = {
  /** The session bus address; default `DBUS_SESSION_BUS_ADDRESS`. */
  busAddress?: string | undefined
  appName?: string
  /** How long to wait for the bus and the notification server. Default 3 s. */
  connectTimeoutMs?: number
}

const NAME = 'org.freedesktop.Notifications'
const PATH = '/org/freedesktop/Notifications'

type Connected = { bus: MessageBus; iface: ProxyInterface; markup: boolean; actions: boolean }

/**
 * Notifications on Linux (and BSDs) through the freedesktop Notifications D-Bus interface
 * (`Notify`, `CloseNotification`, the `ActionInvoked` and `NotificationClosed` signals) on the
 * session bus, with a pure-JavaScript D-Bus client. Body text is escaped for servers that
 * interpret markup. Urgency critical: the notification stays until answered or the request
 * expires. A broken bus is dropped and reconnected on the next notification.
 */
export function createFreedesktopBackend(options: FreedesktopBackendOptions = {}): NotificationBackend {
  const appName = options.appName ?? 'walletd'
  const timeoutMs = options.connectTimeoutMs ?? 3000
  let connecting: Promise<Connected> | null = null
  const waiters = new Map<number, (key: string | null) => void>()

  function drop(c?: Connected) {
    connecting = null
    try {
      // Stryker disable next-line OptionalChaining: without a connection it throws into the empty catch, the same no-op
      c?.bus.disconnect()
    } catch {}
  }

  async function connect(): Promise<Connected> {
    const busAddress = options.busAddress ?? process.env.DBUS_SESSION_BUS_ADDRESS
    if (!busAddress)
      throw new NotificationUnavailableError('no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)')
    let bus: MessageBus
    try {
      bus = sessionBus({ busAddress })
    } catch (err) {
      throw new NotificationUnavailableError(`cannot reach the session bus: ${(err as Error).message}`)
    }
    let c: Connected | undefined
    // The bus emits 'error' (an unhandled one would throw) when the connection breaks.
    ;(bus as unknown as NodeJS.EventEmitter).on('error', () => {
      for (const w of waiters.values()) w(null)
      waiters.clear()
      drop(c)
    })
    let timer: NodeJS.Timeout | undefined
    try {
      const obj = await Promise.race([
        bus.getProxyObject(NAME, PATH),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)
        }),
      ])
      const iface = obj.getInterface(NAME)
      const caps =
        // Stryker disable next-line ArrayDeclaration: any placeholder without the two capabilities is the same
        (await (iface as unknown as { GetCapabilities(): Promise<string[]> }).GetCapabilities()) ?? []
      iface.on('ActionInvoked', (...args: unknown[]) => {
        const [id, key] = args as [number, string]
        const w = waiters.get(id)
        if (w) {
          waiters.delete(id)
          w(key)
        }
      })
      iface.on('NotificationClosed', (...args: unknown[]) => {
        const id = args[0] as number
        const w = waiters.get(id)
        if (w) {
          waiters.delete(id)
          w(null)
        }
      })
      c = { bus, iface, markup: caps.includes('body-markup'), actions: caps.includes('actions') }
      return c
    } catch (err) {
      try {
        bus.disconnect()
      } catch {}
      throw new NotificationUnavailableError(
        `no notification server on the session bus: ${(err as Error).message}`,
      )
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    name: 'freedesktop',
    async show(spec: NotificationSpec, signal: AbortSignal): Promise<string | null> {
      connecting ??= connect()
      let c: Connected
      try {
        c = await connecting
      } catch (err) {
        connecting = null
        throw err
      }
      if (signal.aborted) return null
      const actions = c.actions ? spec.actions.flatMap((a) => [a.key, a.label]) : []
      const body = c.markup ? escapeMarkup(spec.body) : spec.body
      let id: number
      try {
        id = (await (
          c.iface as unknown as {
            Notify(...args: unknown[]): Promise<number>
          }
        ).Notify(
          appName,
          0,
          'dialog-password',
          spec.summary,
          body,
          actions,
          { urgency: new Variant('y', 2), category: new Variant('s', 'x-walletd.approval') },
          Math.min(2 ** 31 - 1, Math.max(0, Math.round(spec.timeoutMs))),
        )) as number
      } catch (err) {
        drop(c)
        throw new NotificationUnavailableError(`the notification server refused: ${(err as Error).message}`)
      }
      return new Promise<string | null>((resolve) => {
        const onAbort = () => {
          waiters.delete(id)
          ;(c.iface as unknown as { CloseNotification(id: number): Promise<void> })
            .CloseNotification(id)
            .catch(() => {})
          resolve(null)
        }
        signal.addEventListener('abort', onAbort, { once: true })
        waiters.set(id, (key) => {
          signal.removeEventListener('abort', onAbort)
          // Answered: take it off the screen (servers may keep a notification after an action).
          if (key !== null)
            (c.iface as unknown as { CloseNotification(id: number): Promise<void> })
              .CloseNotification(id)
              .catch(() => {})
          resolve(key)
        })
      })
    },
    close() {
      for (const w of waiters.values()) w(null)
      waiters.clear()
      const c = connecting
      connecting = null
      c?.then((x) => drop(x)).catch(() => {})
    },
  }
}

/** Servers with `body-markup` read a subset of HTML: the text is shown as text. */
function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
