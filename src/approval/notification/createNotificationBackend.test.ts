import { describe, expect, test, vi } from 'vitest'
import { NotificationUnavailableError } from './types.js'

const made = vi.hoisted(() => [] as Array<[string, unknown]>)
vi.mock('./createFreedesktopBackend.js', () => ({
  createFreedesktopBackend: (options: unknown) => {
    made.push(['freedesktop', options])
    return { name: 'freedesktop' }
  },
}))
vi.mock('./createMacosBackend.js', () => ({
  createMacosBackend: (options: unknown) => {
    made.push(['macos', options])
    return { name: 'macos' }
  },
}))
const { createNotificationBackend } = await import('./createNotificationBackend.js')

describe('createNotificationBackend', () => {
  test('osascript on macOS; freedesktop D-Bus on Linux and the BSDs, on the session bus of the environment given', () => {
    made.length = 0
    expect(createNotificationBackend('darwin', {}).name).toBe('macos')
    for (const platform of ['linux', 'freebsd', 'openbsd', 'netbsd'] as const)
      expect(
        createNotificationBackend(platform, { DBUS_SESSION_BUS_ADDRESS: `unix:path=/${platform}` }).name,
      ).toBe('freedesktop')
    expect(made).toEqual([
      ['macos', undefined],
      ['freedesktop', { busAddress: 'unix:path=/linux' }],
      ['freedesktop', { busAddress: 'unix:path=/freebsd' }],
      ['freedesktop', { busAddress: 'unix:path=/openbsd' }],
      ['freedesktop', { busAddress: 'unix:path=/netbsd' }],
    ])
  })

  test('elsewhere: none, and every notification says why it cannot be shown', async () => {
    const backend = createNotificationBackend('win32', {})
    expect(backend.name).toBe('none')
    const err = await backend
      .show({ summary: 's', body: 'b', actions: [], timeoutMs: 1000 }, new AbortController().signal)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotificationUnavailableError)
    expect((err as Error).message).toBe('no notification support on win32')
    expect(() => backend.close()).not.toThrow()
  })
})
