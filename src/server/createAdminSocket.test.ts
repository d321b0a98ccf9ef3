import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogSink } from '../../test/helpers/logSink.js'
import type { MessageHandler } from '../rpc/createMessageHandler.js'
import type { Connection } from '../rpc/types.js'
import { type AdminSocketOptions, isPipe, listenAdminSocket } from './createAdminSocket.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

function tempDir(): string {
  // Short: a Unix socket path holds at most 103 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'wd-admin-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

type Seen = { text: string; conn: Connection; signal: AbortSignal }

/** The admin socket over a handler that echoes `{ method }` after `gate` (a notification gets nothing). */
async function start(over: Partial<AdminSocketOptions> & { handleText?: MessageHandler['handleText'] } = {}) {
  const dir = tempDir()
  const sink = createLogSink('debug')
  const seen: Seen[] = []
  let gate: Promise<void> = Promise.resolve()
  let release = () => {}
  const handler: MessageHandler = {
    handleText:
      over.handleText ??
      (async (text, conn, signal) => {
        seen.push({ text, conn, signal })
        await gate
        const msg = JSON.parse(text) as { id?: number; method: string }
        if (msg.id === undefined) return null
        return JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.method })
      }),
    handleRequest: async () => null,
  }
  const admin = await listenAdminSocket({
    path: join(dir, 'admin.sock'),
    handler,
    log: sink.logger,
    maxLineBytes: 1000,
    maxInFlight: 4,
    ...over,
  })
  cleanup.push(() => admin.close())
  return {
    dir,
    admin,
    seen,
    logText: sink.text,
    logLines: () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    hold() {
      gate = new Promise((r) => {
        release = r
      })
    },
    release: () => release(),
  }
}

type Client = {
  socket: Socket
  lines: unknown[]
  next(): Promise<unknown>
  ended: Promise<void>
  send(text: string): void
}

async function client(path: string): Promise<Client> {
  const socket = connect(path)
  cleanup.push(() => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.on('error', () => {})
  const lines: unknown[] = []
  const waiters: ((m: unknown) => void)[] = []
  let buffer = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    let nl = buffer.indexOf('\n')
    while (nl !== -1) {
      const msg = JSON.parse(buffer.slice(0, nl))
      buffer = buffer.slice(nl + 1)
      const w = waiters.shift()
      if (w) w(msg)
      else lines.push(msg)
      nl = buffer.indexOf('\n')
    }
  })
  const ended = new Promise<void>((r) => socket.once('close', () => r()))
  return {
    socket,
    lines,
    ended,
    next: () =>
      new Promise((r) => {
        const m = lines.shift()
        if (m !== undefined) r(m)
        else waiters.push(r)
      }),
    send: (text) => socket.write(text),
  }
}

const line = (id: number | undefined, method = 'walletd_status') =>
  `${JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method })}\n`

describe('listenAdminSocket', () => {
  it('is a private socket (0600) in a private dir; each line is one request on an admin connection', async () => {
    const dir = tempDir()
    chmodSync(dir, 0o755)
    const t = await start({ path: join(dir, 'a.sock') })
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(t.admin.path).mode & 0o777).toBe(0o600)
    expect(statSync(t.admin.path).isSocket()).toBe(true)
    expect(t.logLines().find((l) => l.msg === 'admin socket listening')).toMatchObject({ path: t.admin.path })
    const c = await client(t.admin.path)
    // Two lines in one write, one line over two writes, a blank line, a notification.
    c.send(`${line(1)}\n   \n${line(2, 'a')}`)
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 1, result: 'walletd_status' })
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 2, result: 'a' })
    c.send(line(undefined, 'note'))
    const split = line(3, 'b')
    c.send(split.slice(0, 10))
    await new Promise((r) => setImmediate(r))
    c.send(split.slice(10))
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 3, result: 'b' })
    expect(t.seen.map((s) => JSON.parse(s.text).method)).toEqual(['walletd_status', 'a', 'note', 'b'])
    const conn = t.seen[0]!.conn
    expect(conn).toMatchObject({ transport: 'admin', origin: 'admin', tokenName: null, closed: false })
    expect(t.seen[3]!.conn).toBe(conn)
    expect(t.admin.connections).toBe(1)
  })

  it('pushes go out as lines; closing the connection aborts its requests and runs its close handlers once', async () => {
    const t = await start()
    const c = await client(t.admin.path)
    t.hold()
    c.send(line(1))
    while (t.seen.length === 0) await new Promise((r) => setImmediate(r))
    const { conn, signal } = t.seen[0]!
    conn.notify?.({ jsonrpc: '2.0', method: 'walletd_event', params: [1] })
    expect(await c.next()).toEqual({ jsonrpc: '2.0', method: 'walletd_event', params: [1] })
    let calls = 0
    conn.onClose(() => calls++)
    conn.onClose(() => {
      throw new Error('closer bug')
    })
    conn.onClose(() => calls++)
    c.socket.end()
    await new Promise<void>((r) => {
      const check = () => (conn.closed ? r() : setImmediate(check))
      check()
    })
    expect(calls).toBe(2)
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).message).toBe('connection closed')
    expect(t.logLines().filter((l) => l.msg === 'admin close handler failed')).toHaveLength(1)
    // A handler added after the close runs at once.
    conn.onClose(() => calls++)
    expect(calls).toBe(3)
    expect(t.admin.connections).toBe(0)
    // Pushes to a closed connection go nowhere (no write after the end, so no socket error).
    conn.notify?.({ late: true })
    await new Promise((r) => setImmediate(r))
    expect(t.logText()).not.toContain('admin socket error')
    // The connection's lines carry its id and transport.
    expect(t.logLines().find((l) => l.msg === 'admin close handler failed')).toMatchObject({
      connId: conn.id,
      transport: 'admin',
      err: expect.objectContaining({ message: 'closer bug' }),
    })
    t.release()
  })

  it('a line longer than maxLineBytes (in bytes) is refused and the connection ended', async () => {
    const t = await start({ maxLineBytes: 40 })
    const c = await client(t.admin.path)
    // 21 two-byte characters: 42 bytes, 21 characters.
    c.send(`${'é'.repeat(21)}\n${line(1)}`)
    expect(await c.next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid request: a line is longer than 40 bytes.' },
    })
    await c.ended
    expect(c.lines).toEqual([])
    expect(t.seen).toEqual([])
  })

  it('nothing more is read after a refused line', async () => {
    const t = await start({ maxLineBytes: 40 })
    const c = await client(t.admin.path)
    c.send(`${'x'.repeat(50)}\n`)
    await new Promise((r) => setImmediate(r))
    c.send(line(2))
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await c.ended
    expect(c.lines).toEqual([])
    expect(t.seen).toEqual([])
  })

  it('a line of exactly maxLineBytes is served; an unfinished line past the limit is refused', async () => {
    const t = await start({ maxLineBytes: 40 })
    const exact = `{"jsonrpc":"2.0","id":1,"method":"${'m'.repeat(4)}"}`
    expect(Buffer.byteLength(exact)).toBe(40)
    const c = await client(t.admin.path)
    // The whole line first, its newline in a later write: held as an unfinished line meanwhile.
    c.send(exact)
    await new Promise((r) => setTimeout(r, 10))
    c.send('\n')
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 1, result: 'mmmm' })
    c.send('x'.repeat(41))
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await c.ended
    expect(t.seen).toHaveLength(1)
  })

  it('past maxInFlight a line is refused -32005; a finished or failed request frees its slot', async () => {
    const t = await start({ maxInFlight: 1 })
    const c = await client(t.admin.path)
    t.hold()
    c.send(line(1))
    c.send(line(2))
    expect(await c.next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32005,
        message: 'Too many requests in flight on this connection (at most 1).',
        data: { retryAfterMs: 100, limit: 'inflight' },
      },
    })
    t.release()
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 1, result: 'walletd_status' })
    c.send(line(3))
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 3, result: 'walletd_status' })
  })

  it('a handler that rejects is logged; the connection goes on', async () => {
    let calls = 0
    const t = await start({
      maxInFlight: 1,
      handleText: async (text) => {
        calls++
        if (calls === 1) throw new Error('handler bug')
        return JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(text).id, result: 'ok' })
      },
    })
    const c = await client(t.admin.path)
    c.send(line(1))
    while (!t.logText().includes('admin message handler failed')) await new Promise((r) => setImmediate(r))
    expect(t.logLines().find((l) => l.msg === 'admin message handler failed')).toMatchObject({
      err: expect.objectContaining({ message: 'handler bug' }),
    })
    c.send(line(2))
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 2, result: 'ok' })
  })

  it('past maxConnections a new connection is told -32005 and ended', async () => {
    const t = await start({ maxConnections: 1 })
    const first = await client(t.admin.path)
    first.send(line(1))
    await first.next()
    const second = await client(t.admin.path)
    expect(await second.next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32005,
        message: 'Too many admin connections.',
        data: { retryAfterMs: 1000, limit: 'admin-connections' },
      },
    })
    await second.ended
    expect(t.admin.connections).toBe(1)
  })

  it('a client that does not read its pushes is dropped', async () => {
    const t = await start({ maxLineBytes: 100 })
    const c = await client(t.admin.path)
    c.socket.pause()
    t.hold()
    c.send(line(1))
    while (t.seen.length === 0) await new Promise((r) => setImmediate(r))
    const { conn } = t.seen[0]!
    const big = { pad: 'x'.repeat(64 * 1024) }
    for (let i = 0; i < 200 && !conn.closed; i++) {
      conn.notify?.(big)
      await new Promise((r) => setImmediate(r))
    }
    expect(conn.closed).toBe(true)
    t.release()
  })

  it('close() destroys the connections and removes the socket file, once', async () => {
    const t = await start()
    const c = await client(t.admin.path)
    const closing = t.admin.close()
    expect(t.admin.close()).toBe(closing)
    await closing
    await c.ended
    expect(existsSync(t.admin.path)).toBe(false)
  })

  it('tells a Windows named pipe from a Unix socket path', () => {
    expect(isPipe('\\\\.\\pipe\\walletd')).toBe(true)
    expect(isPipe('\\\\?\\pipe\\walletd')).toBe(true)
    expect(isPipe('/run/walletd/admin.sock')).toBe(false)
    expect(isPipe('x\\\\.\\pipe\\')).toBe(false)
    expect(isPipe('x\\\\?\\pipe\\')).toBe(false)
  })

  describe('the socket path', () => {
    const handler: MessageHandler = { handleText: async () => null, handleRequest: async () => null }
    const opts = (path: string) => ({
      path,
      handler,
      log: createLogSink().logger,
      maxLineBytes: 100,
      maxInFlight: 1,
    })

    it('a stale socket or a symlink at the path is replaced', async () => {
      const dir = tempDir()
      const path = join(dir, 's.sock')
      const stale = createServer()
      await new Promise<void>((r) => stale.listen(path, r))
      // Closing a listening Unix server removes its file: drop the handle only.
      stale.unref()
      const a = await listenAdminSocket(opts(path))
      cleanup.push(() => a.close())
      const c = await client(path)
      c.send(line(1))
      await a.close()
      const link = join(dir, 'l.sock')
      symlinkSync(join(dir, 'elsewhere'), link)
      const b = await listenAdminSocket(opts(link))
      cleanup.push(() => b.close())
      expect(statSync(link).isSocket()).toBe(true)
      stale.close()
    })

    it('refuses a path that is a file, a path too long for sun_path, and a missing runtime dir', async () => {
      const dir = tempDir()
      const file = join(dir, 'f')
      writeFileSync(file, 'keep me')
      await expect(listenAdminSocket(opts(file))).rejects.toMatchObject({
        code: 'WALLETD_ERR_ADMIN_SOCKET',
        message: `${file} exists and is not a socket; remove it.`,
      })
      expect(existsSync(file)).toBe(true)
      const deep = join(dir, 'd'.repeat(60))
      mkdirSync(deep)
      const long = join(deep, 's'.repeat(103 - Buffer.byteLength(deep)))
      expect(Buffer.byteLength(long)).toBe(104)
      await expect(listenAdminSocket(opts(long))).rejects.toMatchObject({
        code: 'WALLETD_ERR_ADMIN_SOCKET',
        message: expect.stringContaining('is too long for a Unix socket (104 bytes, at most 103)'),
      })
      const fits = join(deep, 's'.repeat(102 - Buffer.byteLength(deep)))
      const ok = await listenAdminSocket(opts(fits))
      await ok.close()
      await expect(listenAdminSocket(opts(join(dir, 'missing', 'a.sock')))).rejects.toMatchObject({
        code: 'WALLETD_ERR_ADMIN_SOCKET',
        message: `The runtime dir ${join(dir, 'missing')} must be private (0700) for the admin socket.`,
        cause: expect.objectContaining({ code: 'ENOENT' }),
      })
      // A "directory" that is a file: the bind itself fails, with its code.
      await expect(listenAdminSocket(opts(join(file, 'a.sock')))).rejects.toMatchObject({
        code: 'WALLETD_ERR_ADMIN_SOCKET',
        message: `Cannot create the admin socket ${join(file, 'a.sock')}: ENOTDIR`,
        cause: expect.objectContaining({ code: 'ENOTDIR' }),
      })
    })

    it('a private runtime dir is left as it is', async () => {
      const dir = join(tempDir(), 'run')
      // Write and search, no read: private, and not 0700.
      mkdirSync(dir)
      chmodSync(dir, 0o300)
      cleanup.push(() => chmodSync(dir, 0o700))
      const a = await listenAdminSocket(opts(join(dir, 'a.sock')))
      cleanup.push(() => a.close())
      expect(statSync(dir).mode & 0o777).toBe(0o300)
    })
  })
})
