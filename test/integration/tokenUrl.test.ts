import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { JsonRpcProvider, WebSocketProvider } from 'ethers'
import { createPublicClient, http, webSocket } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Web3 } from 'web3'
import WebSocket from 'ws'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * Token URLs for clients that cannot set headers: viem, ethers, web3.js and cast with nothing but a URL
 * read blocks over ws:// and http://; the same URL with an Origin header (a web page) is refused,
 * a token made without --url is refused in a path, and no log line carries the token.
 */
const run = promisify(execFile)
const cast = new URL('../../node_modules/.bin/cast', import.meta.url).pathname

let d: TestDaemon
let token = ''
let wsUrl = ''
let httpUrl = ''

beforeAll(async () => {
  d = await startTestDaemon()
  token = d.daemon.tokens.create('script', { url: true }).token
  wsUrl = `ws://127.0.0.1:${d.port}/rpc/${token}`
  httpUrl = `http://127.0.0.1:${d.port}/rpc/${token}`
})
afterAll(async () => {
  await d?.close()
})

const anvilBlockNumber = async () => {
  const res = await d.post({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' })
  return BigInt(res.body.result)
}

describe('token URLs', () => {
  test('viem webSocket(url) and http(url) read a block', async () => {
    const expected = await anvilBlockNumber()
    const overWs = createPublicClient({ transport: webSocket(wsUrl) })
    const block = await overWs.getBlock()
    expect(block.number).toBeGreaterThanOrEqual(expected)
    expect(await overWs.getChainId()).toBe(31337)
    await (await overWs.transport.getRpcClient()).close()
    const overHttp = createPublicClient({ transport: http(httpUrl) })
    expect((await overHttp.getBlock()).hash).toMatch(/^0x[0-9a-f]{64}$/)
  })

  test('web3.js over ws:// and http:// reads a block', async () => {
    const expected = await anvilBlockNumber()
    const overHttp = new Web3(httpUrl)
    expect(await overHttp.eth.getBlockNumber()).toBeGreaterThanOrEqual(expected)
    expect(await overHttp.eth.getChainId()).toBe(31337n)
    const overWs = new Web3(new Web3.providers.WebsocketProvider(wsUrl))
    try {
      const block = await overWs.eth.getBlock('latest')
      expect(block.number).toBeGreaterThanOrEqual(expected)
      expect(block.hash).toMatch(/^0x[0-9a-f]{64}$/)
    } finally {
      await overWs.provider?.disconnect?.()
    }
  })

  test('ethers WebSocketProvider(url) and JsonRpcProvider(url) read a block', async () => {
    const expected = await anvilBlockNumber()
    const overWs = new WebSocketProvider(wsUrl)
    expect((await overWs.getBlock('latest'))!.number).toBeGreaterThanOrEqual(Number(expected))
    await overWs.destroy()
    const overHttp = new JsonRpcProvider(httpUrl, undefined, { staticNetwork: true })
    expect((await overHttp.getBlock('latest'))!.hash).toMatch(/^0x[0-9a-f]{64}$/)
    overHttp.destroy()
  })

  test.each(['ws', 'http'])('cast --rpc-url %s:// reads a block', async (scheme) => {
    const url = scheme === 'ws' ? wsUrl : httpUrl
    const expected = await anvilBlockNumber()
    const { stdout } = await run(cast, ['block', 'latest', '--field', 'number', '--rpc-url', url])
    expect(BigInt(stdout.trim())).toBeGreaterThanOrEqual(expected)
    const chain = await run(cast, ['chain-id', '--rpc-url', url])
    expect(chain.stdout.trim()).toBe('31337')
  })

  test('the session is the token session', async () => {
    const ws = new WebSocket(wsUrl)
    await new Promise((r) => ws.once('open', r))
    // The session key of a token URL is `token:<name>`: a grant to it is what the URL's client sees.
    d.daemon.services.sessions.grantAccounts('token:script', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts' }))
    const reply = await new Promise<string>((r) => ws.once('message', (m) => r(String(m))))
    expect(JSON.parse(reply)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'],
    })
    d.daemon.services.sessions.revoke('token:script')
    ws.close()
  })

  test('a request with an Origin header presenting the URL is refused (403): a page gets nothing', async () => {
    const refused = await fetch(httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://app.example' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
    })
    expect(refused.status).toBe(403)
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl, { headers: { origin: 'https://app.example' } })
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.once('open', () => resolve(101))
      ws.once('error', () => {})
    })
    expect(status).toBe(403)
  })

  test('a token made without --url is refused in a path (401), and a wrong one too', async () => {
    for (const t of [d.token, `wdt_${'A'.repeat(43)}`, 'garbage']) {
      const res = await fetch(`http://127.0.0.1:${d.port}/rpc/${t}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
      })
      expect(res.status).toBe(401)
    }
  })

  test('no log line carries the token', () => {
    const logs = d.logText()
    expect(logs).toContain('connection opened')
    expect(logs).not.toContain(token)
    expect(logs).not.toContain(token.slice(4))
  })
})
