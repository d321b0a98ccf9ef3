import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * walletd's own pushes over real sockets: the session state first, then only real changes, to
 * walletd.v1 clients only; plain JSON-RPC clients (no subprotocol) never see them.
 */
let second: AnvilInstance
let d: TestDaemon
const approver = createScriptedApprover([], 'approve')
const ORIGIN = 'https://pushes.example'

beforeAll(async () => {
  second = await startAnvil({ port: 0, chainId: 31338 })
  // Several prompts in a row: a roomy prompt budget.
  d = await startTestDaemon({
    approver,
    config: { rateLimit: { classes: { prompt: { burst: 50, perSecond: 10 } } } },
  })
  d.daemon.services.chains.add({
    chainId: 31338,
    name: 'Anvil 2',
    rpcUrls: [second.wsUrl],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  })
})
afterAll(async () => {
  await d?.close()
  await second?.stop()
})

const pushes = (c: { notifications: Array<{ method: string; params: unknown }> }) =>
  c.notifications.filter((n) => n.method.startsWith('walletd_'))

describe('session pushes', () => {
  test('state on open, then only real changes; a plain client sees none', async () => {
    const a = await d.connect({ origin: ORIGIN })
    const b = await d.connect({ origin: ORIGIN })
    const plainMessages: string[] = []
    const plain = new WebSocket(d.wsUrl, {
      headers: { authorization: `Bearer ${d.token}`, origin: ORIGIN },
    })
    plain.on('message', (m) => plainMessages.push(String(m)))
    await new Promise((r) => plain.once('open', r))

    await a.waitForNotification((n) => n.method === 'walletd_state')
    expect(pushes(a)).toEqual([
      {
        method: 'walletd_state',
        params: [
          { chainId: '0x7a69', networkVersion: '31337', accounts: [], version: d.daemon.info.version },
        ],
      },
    ])

    const granted = (await a.call('eth_requestAccounts')).result as string[]
    expect(granted.length).toBeGreaterThan(0)
    await b.waitForNotification((n) => n.method === 'walletd_accountsChanged')
    // Asked again with the grant in place, and re-granted the same accounts: nothing changed.
    await a.call('eth_requestAccounts')
    await a.call('wallet_requestPermissions', [{ eth_accounts: {} }])
    await a.call('wallet_switchEthereumChain', [{ chainId: '0x7a69' }]) // already active
    await a.call('wallet_switchEthereumChain', [{ chainId: '0x7a6a' }])
    await b.waitForNotification((n) => n.method === 'walletd_chainChanged')
    await a.call('wallet_revokePermissions', [{ eth_accounts: {} }])
    await b.waitForNotification(
      (n) => n.method === 'walletd_accountsChanged' && (n.params as unknown[][])[0]!.length === 0,
    )
    const expected = [
      'walletd_state',
      'walletd_accountsChanged',
      'walletd_chainChanged',
      'walletd_accountsChanged',
    ]
    expect(pushes(b).map((n) => n.method)).toEqual(expected)
    expect(pushes(a).map((n) => n.method)).toEqual(expected)
    expect(pushes(b)[1]!.params).toEqual([granted])
    expect(pushes(b)[2]!.params).toEqual([{ chainId: '0x7a6a', networkVersion: '31338' }])

    // The plain client is served normally and has seen no walletd_* message.
    expect(
      await new Promise((r) => {
        plain.once('message', (m) => r(JSON.parse(String(m)).result))
        plain.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }))
      }),
    ).toBe('0x7a6a')
    expect(plainMessages.filter((m) => m.includes('walletd_'))).toEqual([])
    plain.close()
    await a.close()
    await b.close()
  })
})
