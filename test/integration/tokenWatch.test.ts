import { writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTokenStore } from '../../src/server/createTokenStore.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import { connect } from '../helpers/wsClient.js'

/**
 * `walletd token create|revoke` run in another process: the daemon reads the token file on its
 * 500 ms watch tick (never per request), so a change takes effect within a tick. Another
 * createTokenStore on the same file stands in for the CLI process.
 */
let d: TestDaemon

beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.close()
})

const chainId = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' }

/** Polls POST /rpc with `token` until it answers `status` (the daemon's next tick), at most 5 s. */
async function untilStatus(token: string, status: number) {
  for (let i = 0; i < 500; i++) {
    const res = await d.post(chainId, { token })
    if (res.status === status) return res
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`POST /rpc did not answer ${status}`)
}

test('a token created by the CLI works within a tick; revoked, it is refused and its socket closed', async () => {
  const cli = createTokenStore({ file: d.daemon.paths.tokensFile })
  const { token } = cli.create('from-cli')
  expect((await untilStatus(token, 200)).body.result).toBe('0x7a69')
  const socket = await connect(d.wsUrl, { origin: TEST_ORIGIN, token })
  expect((await socket.call('eth_chainId')).result).toBe('0x7a69')

  cli.revoke('from-cli')
  await untilStatus(token, 401)
  expect((await socket.closed).code).toBe(1008)
  await expect(connect(d.wsUrl, { origin: TEST_ORIGIN, token })).rejects.toMatchObject({ statusCode: 401 })
  // Other tokens are untouched.
  expect((await d.post(chainId)).status).toBe(200)
})

test('a corrupt token file authorises nobody (fail closed) until it is fixed', async () => {
  const file = d.daemon.paths.tokensFile
  const cli = createTokenStore({ file })
  const { token } = cli.create('survivor')
  await untilStatus(token, 200)
  writeFileSync(file, '{ "tokens": [ truncated', { mode: 0o600 })
  await untilStatus(token, 401)
  expect((await d.post(chainId)).status).toBe(401)
  // Writing a valid file again (the CLI rewrites it whole) restores the tokens in it.
  const fixed = createTokenStore({ file }).create('fixed')
  expect((await untilStatus(fixed.token, 200)).body.result).toBe('0x7a69')
})

/** POST eth_chainId with `token` through `agent` (one keep-alive socket): the status and the socket used. */
function postOn(agent: Agent, token: string) {
  return new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
    const req = request(
      d.httpUrl,
      {
        agent,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify(chainId))
  })
}

test('a token revoked while a keep-alive socket uses it is refused on that same socket', async () => {
  const cli = createTokenStore({ file: d.daemon.paths.tokensFile })
  const { token } = cli.create('keep-alive')
  await untilStatus(token, 200)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const first = await postOn(agent, token)
    const second = await postOn(agent, token)
    expect([first.status, second.status]).toEqual([200, 200])
    expect(second.socket).toBe(first.socket)
    cli.revoke('keep-alive')
    let last = second
    for (let i = 0; i < 500 && last.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 10))
      last = await postOn(agent, token)
      if (last.status === 200) expect(last.socket).toBe(first.socket)
    }
    expect(last.status).toBe(401)
  } finally {
    agent.destroy()
  }
})
