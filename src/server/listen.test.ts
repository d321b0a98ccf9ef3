import { createServer, type Server } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import { listenWithRetry } from './listen.js'

const open: Server[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function occupyFreePort(): Promise<number> {
  const s = createServer()
  open.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return (s.address() as { port: number }).port
}

test('a taken port moves to the next free one (bind-and-retry)', async () => {
  const taken = await occupyFreePort()
  const server = createServer()
  open.push(server)
  const port = await listenWithRetry(server, {
    host: '127.0.0.1',
    port: taken,
    lastPort: Math.min(taken + 50, 65535),
    strict: false,
  })
  expect(port).toBeGreaterThan(taken)
  expect((server.address() as { port: number }).port).toBe(port)
})

test('--strict-port fails with a clear error instead of moving', async () => {
  const taken = await occupyFreePort()
  const server = createServer()
  await expect(
    listenWithRetry(server, { host: '127.0.0.1', port: taken, lastPort: taken + 50, strict: true }),
  ).rejects.toMatchObject({
    code: 'WALLETD_ERR_PORT_UNAVAILABLE',
    shortMessage: expect.stringContaining('--strict-port'),
  })
  expect(server.listening).toBe(false)
})

test('a range with every port taken fails naming the range', async () => {
  const taken = await occupyFreePort()
  const server = createServer()
  await expect(
    listenWithRetry(server, { host: '127.0.0.1', port: taken, lastPort: taken, strict: false }),
  ).rejects.toMatchObject({
    code: 'WALLETD_ERR_PORT_UNAVAILABLE',
  })
})

test('port 0 binds any free port', async () => {
  const server = createServer()
  open.push(server)
  const port = await listenWithRetry(server, { host: '127.0.0.1', port: 0, lastPort: 9000, strict: false })
  expect(port).toBeGreaterThan(0)
})

test('the error names one port when the range is one port, with the hint for non-strict binds', async () => {
  const taken = await occupyFreePort()
  const server = createServer()
  const before = [server.listenerCount('error'), server.listenerCount('listening')]
  // A lastPort below the port means just that port.
  await expect(
    listenWithRetry(server, { host: '127.0.0.1', port: taken, lastPort: taken - 1, strict: false }),
  ).rejects.toMatchObject({
    message: `Cannot listen on 127.0.0.1: port ${taken} in use. Pick another with --port.`,
    cause: expect.objectContaining({ code: 'EADDRINUSE' }),
  })
  // Two adjacent taken ports: the range is named.
  let first = 0
  for (let i = 0; i < 20 && first === 0; i++) {
    const p = await occupyFreePort()
    const s2 = createServer()
    const ok = await new Promise<boolean>((r) => {
      s2.once('error', () => r(false))
      s2.listen(p + 1, '127.0.0.1', () => r(true))
    })
    if (ok) {
      open.push(s2)
      first = p
    }
  }
  expect(first).toBeGreaterThan(0)
  await expect(
    listenWithRetry(server, { host: '127.0.0.1', port: first, lastPort: first + 1, strict: false }),
  ).rejects.toMatchObject({
    message: `Cannot listen on 127.0.0.1: ports ${first}–${first + 1} in use. Pick another with --port.`,
  })
  // No listener is left behind by the failed attempts.
  expect([server.listenerCount('error'), server.listenerCount('listening')]).toEqual(before)
})

test('an address that cannot be bound is reported with its code, and not retried on other ports', async () => {
  const server = createServer()
  let attempts = 0
  const listen = server.listen.bind(server)
  server.listen = ((...args: Parameters<typeof listen>) => {
    attempts++
    return listen(...args)
  }) as typeof server.listen
  await expect(
    listenWithRetry(server, { host: '192.0.2.1', port: 40000, lastPort: 40005, strict: false }),
  ).rejects.toMatchObject({
    code: 'WALLETD_ERR_PORT_UNAVAILABLE',
    message:
      'Cannot listen on 192.0.2.1: ports 40000–40005 unavailable (EADDRNOTAVAIL). Pick another with --port.',
  })
  expect(attempts).toBe(1)
})

test('a successful bind leaves no listener behind and returns the bound port', async () => {
  const server = createServer()
  open.push(server)
  const before = [server.listenerCount('error'), server.listenerCount('listening')]
  const port = await listenWithRetry(server, { host: '127.0.0.1', port: 0, lastPort: 0, strict: true })
  expect(port).toBe((server.address() as { port: number }).port)
  expect([server.listenerCount('error'), server.listenerCount('listening')]).toEqual(before)
})
