import { createFreedesktopBackend } from './createFreedesktopBackend.js'
import { createMacosBackend } from './createMacosBackend.js'
import { type NotificationBackend, NotificationUnavailableError } from './types.js'

/** The platform's notification service: freedesktop D-Bus on Linux and the BSDs, osascript on macOS. */
export function createNotificationBackend(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): NotificationBackend {
  if (platform === 'darwin') return createMacosBackend()
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd' || platform === 'netbsd')
    return createFreedesktopBackend({ busAddress: env.DBUS_SESSION_BUS_ADDRESS })
  return {
    name: 'none',
    show: () => Promise.reject(new NotificationUnavailableError(`no notification support on ${platform}`)),
    close() {},
  }
}
