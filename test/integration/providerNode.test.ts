import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { nextEvent, nodeProvider } from '../helpers/nodeProvider.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'

let d: TestDaemon
const approver = createScriptedApprover([], 'approve')

beforeAll(async () => {
  d = await startTestDaemon({
    approver,
    config: { rateLimit: { classes: { prompt: { burst: 50, perSecond: 10 } } } },
  })
})
afterAll(async () => {
  await d?.close()
})

describe('the provider in Node (its own code over ws)', () => {
  test('connects with the handshake, emits connect, answers requests, and events follow the session', async () => {
    const provider = nodeProvider({
      url: d.wsUrl,
      publicKey: d.daemon.info.identity.publicKey,
      token: d.token,
      origin: TEST_ORIGIN,
    })
    const [connect] = await nextEvent(provider, 'connect')
    expect(connect).toEqual({ chainId: '0x7a69' })
    expect(provider.chainId).toBe('0x7a69')
    expect(provider.networkVersion).toBe('31337')
    expect(provider.status).toBe('connected')
    expect(provider.transport).toBe('websocket')
    expect(await provider.request({ method: 'eth_chainId' })).toBe('0x7a69')
    const changed = nextEvent(provider, 'accountsChanged')
    const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as string[]
    expect((await changed)[0]).toEqual(accounts)
    expect(provider.selectedAddress).toBe(accounts[0])
    provider.close()
  })
})
