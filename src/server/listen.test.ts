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
