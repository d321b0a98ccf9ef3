import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { connect } from '../helpers/wsClient.js'

/**
 * The shipped rate limits fit local use: a CI script calling eth_call in a loop, over HTTP or over
 * one WebSocket with many requests in flight, is answered every time (no -32005). Under the old
 * defaults (read: 200 at once, 100/s) most of these requests were refused.
 */
let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.close()
})

const call = { to: '0x0000000000000000000000000000000000000001', data: '0x' }

test('1,000 eth_call in a loop over HTTP (a script with a Bearer token) are all answered', async () => {
  let answered = 0
  for (let i = 0; i < 1000; i++) {
    const res = await d.post({ jsonrpc: '2.0', id: i, method: 'eth_call', params: [call, 'latest'] })
    expect(res.status).toBe(200)
    expect(res.body.error).toBeUndefined()
    answered++
  }
  expect(answered).toBe(1000)
})

test('4,000 reads over one WebSocket, 64 in flight, are all answered', async () => {
  const client = await connect(d.wsUrl, { token: d.token, via: 'bearer' })
  let next = 0
  const errors: unknown[] = []
  const worker = async () => {
    while (next < 4000) {
      next++
      const reply = await client.call('eth_call', [call, 'latest'])
      if (reply.error) errors.push(reply.error)
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  expect(errors).toEqual([])
  await client.close()
})
