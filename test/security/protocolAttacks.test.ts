import { randomBytes } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { join } from 'node:path'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Protocol-level abuse against a whole daemon on raw sockets (security.md §7 items 18, 20, 21,
 * 28, 29, 53): each attack gets its refusal and the daemon keeps answering.
 */
const a0 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })
const approver = createScriptedApprover([], 'reject')
let d: TestDaemon
let c: RpcClient

beforeAll(async () => {
  d = await startTestDaemon({ approver, config: { approval: { cooldownAfter: 1000 } } })
  c = await d.connect()
  approver.push('approve')
  expect((await c.call('eth_requestAccounts')).result).toContain(a0.address.toLowerCase())
})
afterAll(async () => {
  await c?.close()
  await d?.close()
})

async function healthy() {
  expect((await fetch(`${d.baseUrl}/healthz`)).status).toBe(200)
  expect((await c.call('eth_chainId')).result).toBe('0x7a69')
}

/** A raw TCP socket that completes the WebSocket upgrade; resolves with it and what followed the 101. */
function rawUpgrade(extraHeaders: string[] = []) {
  return new Promise<{ write(b: Buffer): void; received: () => Buffer; closed: Promise<void> }>(
    (resolve, reject) => {
      const sock = netConnect(d.port, '127.0.0.1')
      let buf = Buffer.alloc(0)
      let upgraded = false
      const closed = new Promise<void>((r) => sock.once('close', () => r()))
      sock.on('error', () => {})
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk])
        if (!upgraded) {
          const end = buf.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = buf.subarray(0, end).toString('latin1')
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]))
          upgraded = true
          buf = buf.subarray(end + 4)
          resolve({ write: (b) => sock.write(b), received: () => buf, closed })
        }
      })
      sock.write(
        [
          'GET /rpc HTTP/1.1',
          `Host: 127.0.0.1:${d.port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          `Sec-WebSocket-Protocol: walletd.v1, walletd.token.${d.token}`,
          `Origin: ${TEST_ORIGIN}`,
          ...extraHeaders,
          '',
          '',
        ].join('\r\n'),
      )
    },
  )
}

/** A masked client frame header (payload not included) claiming `length` bytes. */
function frameHeader(opcode: number, length: number): Buffer {
  const mask = randomBytes(4)
  if (length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | length]), mask])
  const h = Buffer.alloc(10)
  h[0] = 0x80 | opcode
  h[1] = 0x80 | 127
  h.writeBigUInt64BE(BigInt(length), 2)
  return Buffer.concat([h, mask])
}

/** The close code in the first close frame the server sent (unmasked), or null. */
function closeCodeOf(buf: Buffer): number | null {
  let i = 0
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f
    let len = buf[i + 1]! & 0x7f
    let off = i + 2
    if (len === 126) {
      len = buf.readUInt16BE(off)
      off += 2
    } else if (len === 127) {
      len = Number(buf.readBigUInt64BE(off))
      off += 8
    }
    if (opcode === 0x8) return buf.readUInt16BE(off)
    i = off + len
  }
  return null
}

describe('frames', () => {
  test('18: a frame announcing 100 MiB is closed with 1009 from its header alone; memory stays flat', async () => {
    const rssBefore = process.memoryUsage().rss
    const ws = await rawUpgrade()
    ws.write(frameHeader(0x1, 100 * 1024 * 1024))
    ws.write(Buffer.alloc(64 * 1024, 0x41)) // a start of the body; the rest never comes
    await ws.closed
    expect(closeCodeOf(ws.received())).toBe(1009)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 * 1024)
    await healthy()
  })

  test('20: a text frame of invalid UTF-8 is closed with 1007; the daemon keeps serving', async () => {
    const ws = await rawUpgrade()
    const payload = Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]) // "{", bad bytes, "}"
    const mask = randomBytes(4)
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))
    ws.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]))
    await ws.closed
    expect(closeCodeOf(ws.received())).toBe(1007)
    await healthy()
  })

  test('20: a binary frame or a lone surrogate in a string gets a JSON-RPC error, not a crash', async () => {
    const bin = (await c.raw(Buffer.from([0x00, 0xff, 0x10]), { binary: true })) as {
      error: { code: number }
    }
    expect(bin.error.code).toBe(-32700)
    const lone = (await c.raw(
      '{"jsonrpc":"2.0","id":9,"method":"personal_sign","params":["\\ud800",1]}',
    )) as {
      id: unknown
      error: { code: number }
    }
    expect(lone.id).toBe(9)
    expect(lone.error.code).toBe(-32602)
    await healthy()
  })
})

describe('ids and batches', () => {
  test('28: the same id on two sockets: each answer goes to its own socket only', async () => {
    const other = await d.connect({ origin: 'https://other.example' })
    const frame = (method: string) => JSON.stringify({ jsonrpc: '2.0', id: 7, method })
    const [mine, theirs] = await Promise.all([c.raw(frame('eth_accounts')), other.raw(frame('eth_accounts'))])
    const granted = (await c.call('eth_accounts')).result as string[]
    expect(granted).toContain(a0.address.toLowerCase())
    expect(mine).toEqual({ jsonrpc: '2.0', id: 7, result: granted })
    expect(theirs).toEqual({ jsonrpc: '2.0', id: 7, result: [] })
    await other.close()
  })

  test('28: duplicate ids in a batch, null, fractional and huge ids: spec-shaped answers', async () => {
    const res = (await c.raw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 1, method: 'net_version' },
        { jsonrpc: '2.0', id: null, method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 1.5, method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 'x'.repeat(100_000), method: 'eth_chainId' },
      ]),
    )) as Array<{ id: unknown; result?: unknown; error?: { code: number } }>
    expect(res[0]).toMatchObject({ id: 1, result: '0x7a69' })
    expect(res[1]).toMatchObject({ id: 1, result: '31337' })
    expect(res[2]!.id).toBeNull()
    expect(res[3]!.id === 1.5 || res[3]!.error?.code === -32600).toBe(true)
    expect(res[4]).toMatchObject({ id: null, error: { code: -32600 } })
    await healthy()
  })

  test('21: a batch of 50 sign requests: each element is charged to the sign budget; few are asked', async () => {
    approver.seen.length = 0
    const batch = Array.from({ length: 50 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'personal_sign',
      params: [`0x${Buffer.from(`batch ${i}`).toString('hex')}`, a0.address],
    }))
    const res = (await c.raw(JSON.stringify(batch))) as Array<{
      id: number
      error?: { code: number }
      result?: unknown
    }>
    expect(res).toHaveLength(50)
    expect(res.map((r) => r.id)).toEqual(batch.map((b) => b.id))
    // The default sign budget is a burst of 3: the rest are throttled, not asked.
    const throttled = res.filter((r) => r.error?.code === -32005).length
    expect(throttled).toBeGreaterThanOrEqual(45)
    expect(approver.seen.length).toBeLessThanOrEqual(5)
    expect(res.some((r) => r.result !== undefined)).toBe(false)
  })
})

describe('headers', () => {
  /** A raw request; resolves with the status line (or 'closed'). */
  function rawStatus(lines: string[]): Promise<string> {
    return new Promise((resolve) => {
      const sock = netConnect(d.port, '127.0.0.1')
      let text = ''
      sock.on('error', () => {})
      sock.on('data', (b) => {
        text += b.toString('latin1')
      })
      sock.on('close', () => resolve(text.split('\r\n')[0] || 'closed'))
      sock.write(`${lines.join('\r\n')}\r\n\r\n`)
      setTimeout(() => sock.end(), 200).unref()
    })
  }
  const upgrade = [
    'GET /rpc HTTP/1.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    `Origin: ${TEST_ORIGIN}`,
  ]

  test('29: an upgrade with more headers than maxHeadersCount is not upgraded; no crash (CVE-2024-37890)', async () => {
    const status = await rawStatus([
      ...upgrade,
      `Host: 127.0.0.1:${d.port}`,
      `Sec-WebSocket-Protocol: walletd.v1, walletd.token.${d.token}`,
      ...Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`),
    ])
    expect(status).not.toContain('101')
    await healthy()
  })

  test('29: a huge Sec-WebSocket-Protocol is refused (431 or 400), no crash', async () => {
    for (const size of [8000, 40_000]) {
      const status = await rawStatus([
        ...upgrade,
        `Host: 127.0.0.1:${d.port}`,
        `Sec-WebSocket-Protocol: walletd.v1, ${Array.from({ length: size / 8 }, (_, i) => `p${i}`.padEnd(6, 'x')).join(', ')}, walletd.token.${d.token}`,
      ])
      expect(status, String(size)).toMatch(/^HTTP\/1\.1 4\d\d|^closed$/)
    }
    await healthy()
  })
})

describe('53: files on disk', () => {
  test('every file walletd wrote is 0600 and every directory 0700', async () => {
    d.daemon.tokens.create('another')
    const walk = (dir: string): Array<{ path: string; mode: number; dir: boolean }> =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name)
        const st = statSync(path)
        if (st.isDirectory()) return [{ path, mode: st.mode & 0o777, dir: true }, ...walk(path)]
        return st.isFile() ? [{ path, mode: st.mode & 0o777, dir: false }] : []
      })
    const entries = walk(d.dataDir)
    expect(entries.filter((e) => !e.dir).map((e) => e.path.slice(d.dataDir.length))).toEqual(
      expect.arrayContaining(['/identity.key', '/tokens.json', '/sessions.json']),
    )
    for (const e of entries) expect(e.mode, e.path).toBe(e.dir ? 0o700 : 0o600)
  })
})
