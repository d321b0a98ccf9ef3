import { statSync } from 'node:fs'
import { createConnection } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The admin socket as a transport: private (0600, in the 0700 runtime dir), its own method table
 * (admin methods never reachable from WebSocket/HTTP, page methods never from the socket),
 * newline-delimited JSON-RPC with the pipeline's envelope checks.
 */
let t: TestDaemon

/** Sends lines, resolves with the first `count` lines answered. */
function admin(lines: string[], count = lines.length): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ path: t.daemon.adminSocket! })
    let buf = ''
    const got: any[] = []
    s.setEncoding('utf8')
    s.on('data', (c: string) => {
      buf += c
      let nl = buf.indexOf('\n')
      while (nl !== -1) {
        got.push(JSON.parse(buf.slice(0, nl)))
        buf = buf.slice(nl + 1)
        nl = buf.indexOf('\n')
      }
      if (got.length >= count) {
        s.end()
        resolve(got)
      }
    })
    s.on('error', reject)
    s.on('connect', () => s.write(lines.map((l) => `${l}\n`).join('')))
  })
}

const call = (method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) })

beforeAll(async () => {
  t = await startTestDaemon()
})
afterAll(() => t?.close())

describe('admin socket', () => {
  test('is a 0600 socket in a 0700 runtime dir', () => {
    const path = t.daemon.adminSocket!
    expect(path.endsWith('/admin.sock')).toBe(true)
    const st = statSync(path)
    expect(st.isSocket()).toBe(true)
    expect(st.mode & 0o777).toBe(0o600)
    expect(statSync(t.daemon.paths.runtimeDir).mode & 0o777).toBe(0o700)
  })

  test('answers admin methods; page methods are not in its table (4200)', async () => {
    const [pending, chainId, sign] = await admin([
      call('walletd_pending'),
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_chainId' }),
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_sendTransaction', params: [{}] }),
    ])
    const byId = new Map([pending, chainId, sign].map((r) => [r.id, r]))
    expect(byId.get(1)).toEqual({ jsonrpc: '2.0', id: 1, result: [] })
    expect(byId.get(2).error.code).toBe(4200)
    expect(byId.get(3).error.code).toBe(4200)
  })

  test('admin methods are not reachable over HTTP or WebSocket (4200)', async () => {
    for (const method of [
      'walletd_pending',
      'walletd_decide',
      'walletd_revoke',
      'walletd_stop',
      'walletd_status',
    ]) {
      const r = await t.post({ jsonrpc: '2.0', id: 1, method, params: [] })
      expect(r.body.error.code, method).toBe(4200)
    }
    const ws = await t.connect()
    expect((await ws.call('walletd_subscribePrompts')).error?.code).toBe(4200)
    expect((await ws.call('walletd_decide', [{ id: 'x', approved: true }])).error?.code).toBe(4200)
    await ws.close()
  })

  test('bad input gets JSON-RPC errors, not a crash', async () => {
    const [notJson] = await admin(['{nope'])
    expect(notJson.error.code).toBe(-32700)
    const [badParams] = await admin([call('walletd_decide', [{ id: 'x' }])])
    expect(badParams.error.code).toBe(-32602)
    const [unknownId] = await admin([call('walletd_revoke', ['https://never.example'])])
    expect(unknownId.error).toMatchObject({
      code: -32001,
      message: 'https://never.example has no grant to revoke.',
    })
    // Without the cli approver, decisions from outside are refused.
    const [refused] = await admin([call('walletd_decide', [{ id: 'x', approved: true }])])
    expect(refused.error.code).toBe(-32004)
    const [status] = await admin([call('walletd_status')])
    expect(status.result).toMatchObject({
      running: true,
      port: t.port,
      health: { version: expect.any(String) },
    })
  })

  test('a line longer than the payload limit is refused and the connection closed', async () => {
    const huge = `"${'a'.repeat(t.daemon.services.config.server.maxPayloadBytes + 10)}"`
    const [r] = await admin([huge])
    expect(r.error.code).toBe(-32600)
  })
})
