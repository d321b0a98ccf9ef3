import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { NotificationUnavailableError } from './types.js'

/**
 * A fake session bus in place of the D-Bus client (the real path, with dbus-daemon and dunst, is
 * covered by test/integration/notifications.test.ts): it records what the backend asks of the
 * notification server and lets a test emit the server's signals.
 */
type FakeIface = EventEmitter & {
  GetCapabilities: () => Promise<string[] | undefined>
  Notify: (...args: unknown[]) => Promise<number>
  CloseNotification: (id: number) => Promise<void>
}
type FakeBus = EventEmitter & { disconnected: number; iface: FakeIface; disconnect(): void }

const fake = vi.hoisted(() => ({
  buses: [] as unknown[],
  addresses: [] as string[],
  notified: [] as unknown[][],
  closed: [] as number[],
  caps: ['actions', 'body-markup'] as string[] | undefined,
  sessionBusError: null as Error | null,
  proxy: 'ok' as 'ok' | 'reject' | 'hang',
  notifyError: null as Error | null,
  disconnectThrows: false,
}))

vi.mock('@jellybrick/dbus-next', () => {
  class Variant {
    constructor(
      readonly signature: string,
      readonly value: unknown,
    ) {}
  }
  return {
    Variant,
    sessionBus: ({ busAddress }: { busAddress: string }) => {
      if (fake.sessionBusError) throw fake.sessionBusError
      fake.addresses.push(busAddress)
      // Ids count from 1 on each connection (a restarted server starts again).
      let nextId = 1
      const iface = Object.assign(new EventEmitter(), {
        GetCapabilities: async () => fake.caps,
        Notify: async (...args: unknown[]) => {
          if (fake.notifyError) throw fake.notifyError
          fake.notified.push(args)
          return nextId++
        },
        CloseNotification: async (id: number) => {
          fake.closed.push(id)
          throw new Error('closing fails: ignored')
        },
      })
      const bus = Object.assign(new EventEmitter(), {
        disconnected: 0,
        iface,
        disconnect() {
          bus.disconnected++
          if (fake.disconnectThrows) throw new Error('already gone')
        },
        getProxyObject: (name: string, path: string) => {
          expect([name, path]).toEqual(['org.freedesktop.Notifications', '/org/freedesktop/Notifications'])
          if (fake.proxy === 'reject') return Promise.reject(new Error('no such name'))
          if (fake.proxy === 'hang') return new Promise(() => {})
          return Promise.resolve({
            getInterface: (n: string) => {
              expect(n).toBe('org.freedesktop.Notifications')
              return iface
            },
          })
        },
      })
      fake.buses.push(bus)
      return bus
    },
  }
})

const { createFreedesktopBackend } = await import('./createFreedesktopBackend.js')

const spec = {
  summary: 'walletd: Connect',
  body: 'origin <b>https://a.example</b> & more',
  actions: [
    { key: 'approve' as const, label: 'Connect' },
    { key: 'reject' as const, label: 'Reject' },
  ],
  timeoutMs: 60_000.4,
}
const bus = (i = 0) => fake.buses[i] as FakeBus
const flush = () => new Promise((r) => setImmediate(r))

beforeEach(() => {
  Object.assign(fake, {
    buses: [],
    addresses: [],
    notified: [],
    closed: [],
    caps: ['actions', 'body-markup'],
    sessionBusError: null,
    proxy: 'ok',
    notifyError: null,
    disconnectThrows: false,
  })
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
})

async function unavailable(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => {
      throw new Error('resolved')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(NotificationUnavailableError)
  return (err as Error).message
}

describe('the freedesktop backend (with a fake session bus)', () => {
  test('Notify: app name, icon, summary, escaped body, actions as key/label pairs, urgency critical, timeout', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    expect(backend.name).toBe('freedesktop')
    const shown = backend.show(spec, new AbortController().signal)
    await flush()
    expect(fake.addresses).toEqual(['unix:path=/fake'])
    expect(fake.notified).toEqual([
      [
        'walletd',
        0,
        'dialog-password',
        'walletd: Connect',
        'origin &lt;b&gt;https://a.example&lt;/b&gt; &amp; more',
        ['approve', 'Connect', 'reject', 'Reject'],
        {
          urgency: expect.objectContaining({ signature: 'y', value: 2 }),
          category: expect.objectContaining({ signature: 's', value: 'x-walletd.approval' }),
        },
        60_000,
      ],
    ])
    // Another notification's answer is not this one's.
    bus().iface.emit('ActionInvoked', 99, 'reject')
    bus().iface.emit('NotificationClosed', 99, 1)
    bus().iface.emit('ActionInvoked', 1, 'approve')
    expect(await shown).toBe('approve')
    // Answered: taken off the screen (a failure to close is ignored).
    expect(fake.closed).toEqual([1])
    // Later signals for it change nothing.
    bus().iface.emit('NotificationClosed', 1, 2)
  })

  test('a server without actions or markup gets neither; the timeout is kept in range', async () => {
    fake.caps = ['body']
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake', appName: 'other' })
    const signal = new AbortController().signal
    const one = backend.show({ ...spec, timeoutMs: 2 ** 40 }, signal)
    const two = backend.show({ ...spec, timeoutMs: -5 }, signal)
    await flush()
    expect(fake.notified.map((n) => [n[0], n[4], n[5], n[7]])).toEqual([
      ['other', spec.body, [], 2 ** 31 - 1],
      ['other', spec.body, [], 0],
    ])
    // One connection for both.
    expect(fake.buses).toHaveLength(1)
    bus().iface.emit('NotificationClosed', 2, 1)
    bus().iface.emit('NotificationClosed', 1, 1)
    expect(await one).toBeNull()
    expect(await two).toBeNull()
    // Closed by the server: nothing to take off the screen.
    expect(fake.closed).toEqual([])
  })

  test('no capabilities answer counts as none', async () => {
    fake.caps = undefined
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const shown = backend.show(spec, new AbortController().signal)
    await flush()
    expect(fake.notified[0]?.[5]).toEqual([])
    expect(fake.notified[0]?.[4]).toBe(spec.body)
    backend.close()
    expect(await shown).toBeNull()
  })

  test('an abort closes the notification and resolves null; an answer after it changes nothing', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const ac = new AbortController()
    const shown = backend.show(spec, ac.signal)
    await flush()
    ac.abort()
    expect(await shown).toBeNull()
    expect(fake.closed).toEqual([1])
    bus().iface.emit('ActionInvoked', 1, 'approve')
    expect(fake.closed).toEqual([1])
    // Already aborted: nothing is shown.
    const done = new AbortController()
    done.abort()
    expect(await backend.show(spec, done.signal)).toBeNull()
    expect(fake.notified).toHaveLength(1)
  })

  test('the answer removes the abort listener: a later abort does not close it again', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const ac = new AbortController()
    const shown = backend.show(spec, ac.signal)
    await flush()
    bus().iface.emit('ActionInvoked', 1, 'reject')
    expect(await shown).toBe('reject')
    ac.abort()
    expect(fake.closed).toEqual([1])
  })

  test('the bus address comes from the environment when not given; none at all: unavailable', async () => {
    vi.stubEnv('DBUS_SESSION_BUS_ADDRESS', 'unix:path=/from-env')
    const fromEnv = createFreedesktopBackend().show(spec, new AbortController().signal)
    await flush()
    expect(fake.addresses).toEqual(['unix:path=/from-env'])
    bus().iface.emit('ActionInvoked', 1, 'approve')
    expect(await fromEnv).toBe('approve')
    vi.stubEnv('DBUS_SESSION_BUS_ADDRESS', '')
    expect(await unavailable(createFreedesktopBackend().show(spec, new AbortController().signal))).toBe(
      'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)',
    )
  })

  test('a bus that cannot be reached, or without a notification server: unavailable, and tried again next time', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    fake.sessionBusError = new Error('ENOENT')
    expect(await unavailable(backend.show(spec, new AbortController().signal))).toBe(
      'cannot reach the session bus: ENOENT',
    )
    fake.sessionBusError = null
    fake.proxy = 'reject'
    fake.disconnectThrows = true
    expect(await unavailable(backend.show(spec, new AbortController().signal))).toBe(
      'no notification server on the session bus: no such name',
    )
    expect(bus(0).disconnected).toBe(1)
    fake.proxy = 'ok'
    fake.disconnectThrows = false
    const shown = backend.show(spec, new AbortController().signal)
    await flush()
    expect(fake.buses).toHaveLength(2)
    bus(1).iface.emit('ActionInvoked', 1, 'approve')
    expect(await shown).toBe('approve')
  })

  test('a server that does not answer in time (3 s by default): unavailable', async () => {
    vi.useFakeTimers()
    fake.proxy = 'hang'
    let settled = false
    const p = unavailable(
      createFreedesktopBackend({ busAddress: 'unix:path=/fake' }).show(spec, new AbortController().signal),
    )
    p.then(() => {
      settled = true
    })
    await vi.advanceTimersByTimeAsync(2999)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await p).toBe('no notification server on the session bus: timed out')
    const short = unavailable(
      createFreedesktopBackend({ busAddress: 'unix:path=/fake', connectTimeoutMs: 10 }).show(
        spec,
        new AbortController().signal,
      ),
    )
    await vi.advanceTimersByTimeAsync(10)
    expect(await short).toBe('no notification server on the session bus: timed out')
    // The connect timer does not outlive a connection that succeeded.
    fake.proxy = 'ok'
    const ok = createFreedesktopBackend({ busAddress: 'unix:path=/fake' }).show(
      spec,
      new AbortController().signal,
    )
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(0)
    ;(fake.buses.at(-1) as FakeBus).iface.emit('ActionInvoked', 1, 'approve')
    expect(await ok).toBe('approve')
  })

  test('Notify refused: unavailable; the bus is dropped and the next notification reconnects', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    fake.notifyError = new Error('quota')
    expect(await unavailable(backend.show(spec, new AbortController().signal))).toBe(
      'the notification server refused: quota',
    )
    expect(bus(0).disconnected).toBe(1)
    fake.notifyError = null
    const shown = backend.show(spec, new AbortController().signal)
    await flush()
    expect(fake.buses).toHaveLength(2)
    bus(1).iface.emit('ActionInvoked', 1, 'reject')
    expect(await shown).toBe('reject')
  })

  test('a broken bus answers every open notification with null and reconnects next time', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const signal = new AbortController().signal
    const one = backend.show(spec, signal)
    const two = backend.show(spec, signal)
    await flush()
    bus(0).emit('error', new Error('EPIPE'))
    expect(await one).toBeNull()
    expect(await two).toBeNull()
    expect(bus(0).disconnected).toBe(1)
    const three = backend.show(spec, signal)
    await flush()
    expect(fake.buses).toHaveLength(2)
    bus(1).iface.emit('ActionInvoked', 1, 'approve')
    expect(await three).toBe('approve')
  })

  test('close: open notifications resolve null, the bus is disconnected; the next one connects anew', async () => {
    const backend = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const shown = backend.show(spec, new AbortController().signal)
    await flush()
    backend.close()
    expect(await shown).toBeNull()
    await flush()
    expect(bus(0).disconnected).toBe(1)
    const again = backend.show(spec, new AbortController().signal)
    await flush()
    expect(fake.buses).toHaveLength(2)
    bus(1).iface.emit('ActionInvoked', 1, 'approve')
    expect(await again).toBe('approve')
    // Closing before anything connected, or a connection that failed, is fine.
    createFreedesktopBackend({ busAddress: 'unix:path=/fake' }).close()
    fake.proxy = 'reject'
    const failing = createFreedesktopBackend({ busAddress: 'unix:path=/fake' })
    const failed = failing.show(spec, new AbortController().signal)
    failing.close()
    await unavailable(failed)
  })
})
