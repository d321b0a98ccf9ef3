import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { probeChainId } from './probeChainId.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A local HTTP server answering every request with `answer`. */
async function serve(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => answer(res))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc/SECRET`
}

test('reads the chain id a node answers', async () => {
  const url = await serve((res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1092' })))
  expect(await probeChainId(url, 2000)).toBe(4242)
})

test('an answer over 64 KiB is refused without reading it all; the URL path stays hidden', async () => {
  const url = await serve((res) => {
    res.write(`{"jsonrpc":"2.0","id":1,"result":"0x1","pad":"`)
    res.end(`${'x'.repeat(1024 * 1024)}"}`)
  })
  const err = await probeChainId(url, 2000).catch((e: Error) => e)
  expect(err).toBeInstanceOf(Error)
  expect((err as Error).message).toMatch(/too large/)
  expect((err as Error).message).not.toContain('SECRET')
})

test('redirects are not followed; nonsense and bad ids are refused', async () => {
  const target = await serve((res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1' })))
  const redirect = await serve((res) => {
    res.writeHead(307, { location: target })
    res.end()
  })
  await expect(probeChainId(redirect, 2000)).rejects.toThrow(/did not answer eth_chainId/)
  const zero = await serve((res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x0' })))
  await expect(probeChainId(zero, 2000)).rejects.toThrow(/bad chain id/)
})
