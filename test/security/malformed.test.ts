import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocketServer } from 'ws'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Every malformed or hostile frame gets its JSON-RPC error and the daemon stays up. The upstream
 * here is a recording WebSocket node (it answers eth_chainId and records every method it sees), so
 * the test proves that refused methods never reach an upstream.
 */
let d: TestDaemon
let c: RpcClient
const seenUpstream: string[] = []
let upstreamClose: () => Promise<void>

beforeAll(async () => {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id: number; method: string }
      seenUpstream.push(msg.method)
      ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: msg.id,
          result: msg.method === 'eth_chainId' ? '0x7a69' : '0x1',
        }),
      )
    }),
  )
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as { port: number }).port
  upstreamClose = () =>
    new Promise((r) => {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      http.close(() => r())
    })
  d = await startTestDaemon({ upstreamUrl: `ws://127.0.0.1:${port}` })
  c = await d.connect()
})

afterAll(async () => {
  await c?.close()
  await d?.close()
  await upstreamClose?.()
})

const errorOf = (msg: unknown) => (msg as { error: { code: number; message: string } }).error

describe('malformed frames', () => {
  test.each([
    ['bad JSON', '{"jsonrpc":"2.0",', -32700],
    ['a JSON string', '"hello"', -32600],
    ['null', 'null', -32600],
    ['no method', '{"jsonrpc":"2.0","id":1}', -32600],
    ['no jsonrpc', '{"id":1,"method":"eth_chainId"}', -32600],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}', -32006],
    ['method not a string', '{"jsonrpc":"2.0","id":1,"method":42}', -32600],
    ['params a string', '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":"x"}', -32600],
    ['id an object', '{"jsonrpc":"2.0","id":{"a":1},"method":"eth_chainId"}', -32600],
    ['a huge id', JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(10_000), method: 'eth_chainId' }), -32600],
    ['empty batch', '[]', -32600],
    [
      'deeply nested JSON',
      `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      -32600,
    ],
  ])('%s → %i', async (_name, frame, code) => {
    const res = await c.raw(frame)
    expect(errorOf(res).code).toBe(code)
  })

  test('an id that is valid is echoed back with the error', async () => {
    const res = (await c.raw('{"jsonrpc":"2.0","id":"abc","method":"nope_nothing"}')) as {
      id: unknown
      error: { code: number }
    }
    expect(res.id).toBe('abc')
    expect(res.error.code).toBe(4200)
  })

  test('a binary frame → -32700', async () => {
    const res = await c.raw(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'), { binary: true })
    expect(errorOf(res).code).toBe(-32700)
  })

  test('a 10^6-deep array does not crash the daemon', async () => {
    const res = await c.raw('['.repeat(1_000_000))
    expect(errorOf(res).code).toBe(-32600)
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
  })

  test('an oversized frame closes the socket with 1009; the daemon keeps serving', async () => {
    const big = await d.connect()
    big.socket.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: ['x'.repeat(2 * 1024 * 1024)] }),
    )
    const { code } = await big.closed
    expect(code).toBe(1009)
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
  })

  test('batches answer each element in order, notifications get no answer', async () => {
    const res = (await c.raw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { jsonrpc: '2.0', method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 2, method: 'anvil_mine' },
        5,
        { jsonrpc: '2.0', id: 3, method: 'net_version' },
      ]),
    )) as Array<{ id: unknown; result?: unknown; error?: { code: number } }>
    expect(res.map((r) => r.id)).toEqual([1, 2, null, 3])
    expect(res[0]!.result).toBe('0x7a69')
    expect(res[1]!.error!.code).toBe(-32601)
    expect(res[2]!.error!.code).toBe(-32600)
    expect(res[3]!.result).toBe('31337')
  })

  test('a batch over the size cap is refused as a whole, cheaply', async () => {
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'eth_blockNumber',
    }))
    const before = seenUpstream.length
    const res = await c.raw(JSON.stringify(batch))
    expect(errorOf(res).code).toBe(-32005)
    expect(seenUpstream.length).toBe(before)
  })
})

describe('method dispatch fails closed', () => {
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    '%s is not a method (4200)',
    async (method) => {
      const res = await c.raw(JSON.stringify({ jsonrpc: '2.0', id: 1, method }))
      expect(errorOf(res).code).toBe(4200)
    },
  )

  test('params carrying __proto__ are refused (-32602) and pollute nothing', async () => {
    const before = seenUpstream.length
    const res = await c.raw(
      '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[{"__proto__":{"polluted":1}},"latest"]}',
    )
    expect(errorOf(res).code).toBe(-32602)
    expect(errorOf(res).message).toContain('params.0')
    // A __proto__ key inside an otherwise valid call object is dropped, not forwarded or merged.
    const call = await c.raw(
      '{"jsonrpc":"2.0","id":2,"method":"eth_call","params":[{"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","__proto__":{"polluted":1}},"latest"]}',
    )
    expect((call as { result?: unknown }).result).toBe('0x1')
    expect(seenUpstream.slice(before)).toEqual(['eth_call'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  test.each([
    ['eth_sign', -32601],
    ['eth_signTransaction', -32004],
    ['wallet_sendTransaction', -32601],
    ['eth_decrypt', -32601],
    ['eth_getEncryptionPublicKey', -32601],
    ['anvil_setBalance', -32601],
    ['anvil_impersonateAccount', -32601],
    ['hardhat_setBalance', -32601],
    ['evm_mine', -32601],
    ['evm_snapshot', -32601],
    ['debug_traceTransaction', -32601],
    ['admin_peers', -32601],
    ['personal_unlockAccount', -32601],
    ['personal_sendTransaction', -32601],
    ['miner_start', -32601],
    ['txpool_content', -32601],
    ['eth_someFutureMethod', 4200],
  ])('%s is refused (%i) and never reaches the upstream', async (method, code) => {
    const res = await c.call(method, [])
    expect(res.error?.code).toBe(code)
    expect(seenUpstream).not.toContain(method)
  })

  test('eth_accounts is answered locally ([] before a grant), never forwarded', async () => {
    expect((await c.call('eth_accounts')).result).toEqual([])
    expect(seenUpstream).not.toContain('eth_accounts')
  })

  test('the daemon is still healthy after all of this', async () => {
    const res = await fetch(`${d.baseUrl}/healthz`)
    expect(res.status).toBe(200)
  })
})
