import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFreedesktopBackend } from '../../src/approval/notification/createFreedesktopBackend.js'
import { createNotificationApprover } from '../../src/approval/notification/createNotificationApprover.js'
import { type NotificationServer, startNotificationServer } from '../helpers/notificationServer.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The notification approver against a real notification server (dunst, a Debian package) on a
 * real private D-Bus session bus, with its actions invoked through dunst's own control: the
 * freedesktop Notify / ActionInvoked path end to end, through a whole walletd.
 */
const A1 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
let server: NotificationServer
let t: TestDaemon

beforeAll(async () => {
  server = await startNotificationServer()
  const sink = await import('../helpers/logSink.js')
  const log = sink.createLogSink('debug').logger
  t = await startTestDaemon({
    approver: createNotificationApprover({
      backend: createFreedesktopBackend({ busAddress: server.busAddress }),
      log,
    }),
    config: { rateLimit: { classes: { sign: { burst: 10 } } } },
  })
}, 60_000)
afterAll(async () => {
  await t?.close()
  await server?.stop()
})

describe('OS notifications (freedesktop, dunst)', () => {
  test('connect: the notification offers Connect; invoking it approves the default account', async () => {
    const c = await t.connect({ origin: 'https://notify.example' })
    const asked = c.call('eth_requestAccounts')
    await server.waitDisplayed(1)
    const menu = await server.invoke('approve')
    expect(menu).toContain('#Connect (walletd: Connect this site to your account(s))')
    expect(menu).toContain(',reject]')
    expect((await asked).result).toEqual([A1])
    // Answered: the notification is closed.
    await server.waitDisplayed(0)

    // A plain-text message may be approved from the notification too.
    const sign = c.call('personal_sign', ['0x68656c6c6f', A1])
    await server.waitDisplayed(1)
    expect(await server.invoke('approve')).toContain('#Sign (walletd: Sign a text message (5 bytes))')
    expect((await sign).result).toMatch(/^0x[0-9a-f]{130}$/)
    await server.waitDisplayed(0)

    // Reject from the notification: 4001.
    const again = c.call('personal_sign', ['0x6e6f', A1])
    await server.waitDisplayed(1)
    await server.invoke('reject')
    expect((await again).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    await server.waitDisplayed(0)
    await c.close()
  })

  test('typed data (and transactions) cannot be approved from a notification: only Reject is offered', async () => {
    const c = await t.connect({ origin: 'https://notify.example' })
    const typed = c.call('eth_signTypedData_v4', [
      A1,
      {
        types: { EIP712Domain: [{ name: 'name', type: 'string' }], Mail: [{ name: 'body', type: 'string' }] },
        primaryType: 'Mail',
        domain: { name: 'n' },
        message: { body: 'hi' },
      },
    ])
    await server.waitDisplayed(1)
    const menu = await server.invoke('reject')
    expect(menu).not.toContain(',approve]')
    expect(menu).toContain('#Reject (walletd: Sign Mail for n)')
    expect((await typed).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    await server.waitDisplayed(0)

    // A request that ends otherwise (here: its connection closes) takes its notification away.
    void c.call('personal_sign', ['0x6f6b', A1])
    await server.waitDisplayed(1)
    await c.close()
    await server.waitDisplayed(0)
  })
})

describe('no notification service', () => {
  test('says so once, abstains (the request is refused: no other approver), and carries on', async () => {
    const sink = (await import('../helpers/logSink.js')).createLogSink('debug')
    const d = await startTestDaemon({
      approver: createNotificationApprover({
        backend: createFreedesktopBackend({
          busAddress: 'unix:path=/nonexistent/walletd-bus',
          connectTimeoutMs: 1000,
        }),
        log: sink.logger,
      }),
    })
    try {
      const c = await d.connect({ origin: 'https://nobus.example' })
      expect((await c.call('eth_requestAccounts')).error).toMatchObject({
        code: 4001,
        data: { reason: 'no-approver' },
      })
      expect((await c.call('eth_requestAccounts')).error).toMatchObject({
        code: 4001,
        data: { reason: 'no-approver' },
      })
      await c.close()
      expect(sink.text().match(/no notification service is reachable/g)).toHaveLength(1)
    } finally {
      await d.close()
    }
  })
})
