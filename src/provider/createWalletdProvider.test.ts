import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFakeDaemon } from '../../test/helpers/fakeWalletdLink.js'
import { createWalletdProvider } from './createWalletdProvider.js'
import { IDENTITY_MISMATCH, ProviderRpcError } from './errors.js'

const A = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const B = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

function setup(options: { queueTimeoutMs?: number; extra?: ReturnType<typeof createFakeDaemon> } = {}) {
  const daemon = createFakeDaemon()
  const events: Array<[string, unknown]> = []
  const provider = createWalletdProvider({
    links: [
      { name: 'websocket', open: daemon.open },
      ...(options.extra ? [{ name: 'http' as const, open: options.extra.open }] : []),
    ],
    queueTimeoutMs: options.queueTimeoutMs ?? 30_000,
    reconnect: { initialMs: 100, maxMs: 1000 },
  })
  for (const e of ['connect', 'disconnect', 'chainChanged', 'networkChanged', 'accountsChanged', 'message'])
    provider.on(e, (arg: unknown) => events.push([e, arg]))
  return { daemon, provider, events }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createWalletdProvider', () => {
  it('emits connect from the state push, with no request sent first', async () => {
    const { daemon, provider, events } = setup()
    expect(provider.status).toBe('connecting')
    await daemon.accept({ chainId: '0x7a69', accounts: [A] })
    expect(events).toEqual([['connect', { chainId: '0x7a69' }]])
    expect(daemon.sent).toEqual([])
    expect(provider.chainId).toBe('0x7a69')
    expect(provider.networkVersion).toBe('31337')
    expect(provider.selectedAddress).toBe(A)
    expect(provider.isConnected()).toBe(true)
    expect(provider.isMetaMask).toBe(false)
    expect(provider.send({ method: 'eth_accounts', id: 3 })).toEqual({ id: 3, jsonrpc: '2.0', result: [A] })
  })

  it('checks request arguments before sending anything (-32600)', async () => {
    const { daemon, provider } = setup()
    await daemon.accept({ chainId: '0x1' })
    for (const bad of [
      undefined,
      null,
      [],
      'eth_chainId',
      {},
      { method: '' },
      { method: 1 },
      { method: 'x', params: 3 },
    ]) {
      await expect(provider.request(bad as never)).rejects.toMatchObject({ code: -32600 })
    }
    await expect(provider.request({ method: 'eth_call', params: null as never })).rejects.toBeInstanceOf(
      ProviderRpcError,
    )
    expect(daemon.sent).toEqual([])
  })

  it('queues requests made while connecting; they go out once connected', async () => {
    const { daemon, provider } = setup()
    const chain = provider.request({ method: 'eth_chainId' })
    const block = provider.request({ method: 'eth_blockNumber', params: [] })
    await daemon.accept({ chainId: '0x1' })
    expect(daemon.sent.map((m) => m.method)).toEqual(['eth_chainId', 'eth_blockNumber'])
    daemon.answer(daemon.sent[0]!.id, '0x1')
    daemon.fail(daemon.sent[1]!.id, -32005, 'slow down')
    expect(await chain).toBe('0x1')
    await expect(block).rejects.toMatchObject({ code: -32005, message: 'slow down' })
  })

  it('a queued request fails with 4900 when no connection comes in time (never hangs)', async () => {
    vi.useFakeTimers()
    const { provider } = setup({ queueTimeoutMs: 5000 })
    const pending = provider.request({ method: 'eth_chainId' })
    const settled = expect(pending).rejects.toMatchObject({ code: 4900 })
    await vi.advanceTimersByTimeAsync(5001)
    await settled
  })

  it('after a drop: reads are sent again, signing fails with 4900, disconnect then connect; subscription ids stay', async () => {
    vi.useFakeTimers()
    const { daemon, provider, events } = setup()
    await daemon.accept({ chainId: '0x1', accounts: [A] })
    const sub = provider.request({ method: 'eth_subscribe', params: ['newHeads'] })
    await flush()
    daemon.answer(daemon.sent[0]!.id, '0xd1')
    expect(await sub).toBe('0xd1')
    daemon.push('eth_subscription', { subscription: '0xd1', result: { number: '0x1' } })

    const read = provider.request({ method: 'eth_getBalance', params: [A, 'latest'] })
    const sign = provider.request({ method: 'personal_sign', params: ['0x00', A] })
    await flush()
    daemon.drop()
    await expect(sign).rejects.toMatchObject({ code: 4900 })
    expect(provider.status).toBe('reconnecting')
    expect(events.at(-1)).toEqual(['disconnect', expect.objectContaining({ code: 1013 })])

    await vi.advanceTimersByTimeAsync(100)
    await daemon.accept({ chainId: '0x1', accounts: [A] })
    // The subscription is made again, then the interrupted read goes out again.
    expect(daemon.sent.map((m) => m.method)).toEqual(['eth_subscribe', 'eth_getBalance'])
    daemon.answer(daemon.sent[0]!.id, '0xd2')
    daemon.answer(daemon.sent[1]!.id, '0x10')
    expect(await read).toBe('0x10')
    daemon.push('eth_subscription', { subscription: '0xd2', result: { number: '0x2' } })
    daemon.push('eth_subscription', { subscription: '0xd1', result: { number: '0x99' } }) // stale: ignored
    const messages = events.filter(([e]) => e === 'message').map(([, m]) => m)
    expect(messages).toEqual([
      { type: 'eth_subscription', data: { subscription: '0xd1', result: { number: '0x1' } } },
      { type: 'eth_subscription', data: { subscription: '0xd1', result: { number: '0x2' } } },
    ])
    // The same state again: connect, and no chainChanged or accountsChanged.
    expect(events.filter(([e]) => e !== 'message').map(([e]) => e)).toEqual([
      'connect',
      'disconnect',
      'connect',
    ])
    // Unsubscribing by the page's id unsubscribes walletd's current one.
    const un = provider.request({ method: 'eth_unsubscribe', params: ['0xd1'] })
    await flush()
    expect(daemon.sent.at(-1)).toMatchObject({ method: 'eth_unsubscribe', params: ['0xd2'] })
    daemon.answer(daemon.sent.at(-1)!.id, true)
    expect(await un).toBe(true)
  })

  it('resyncs after a reconnect: events only for what really changed; a chain change drops subscriptions', async () => {
    vi.useFakeTimers()
    const { daemon, provider, events } = setup()
    await daemon.accept({ chainId: '0x1', accounts: [A] })
    const sub = provider.request({ method: 'eth_subscribe', params: ['newHeads'] })
    await flush()
    daemon.answer(daemon.sent[0]!.id, '0xd1')
    await sub
    daemon.drop()
    await vi.advanceTimersByTimeAsync(100)
    await daemon.accept({ chainId: '0xa', accounts: [A, B] })
    expect(events.map(([e, v]) => [e, v])).toEqual([
      ['connect', { chainId: '0x1' }],
      ['disconnect', expect.objectContaining({ code: 1013 })],
      ['connect', { chainId: '0xa' }],
      ['chainChanged', '0xa'],
      ['networkChanged', '10'],
      ['accountsChanged', [A, B]],
    ])
    expect(daemon.sent).toEqual([]) // no resubscribe on another chain
  })

  it('pushes become events only on real change; a revoke drops subscriptions', async () => {
    const { daemon, provider, events } = setup()
    await daemon.accept({ chainId: '0x1', accounts: [] })
    daemon.push('walletd_accountsChanged', [[A]])
    daemon.push('walletd_accountsChanged', [[A]])
    daemon.push('walletd_chainChanged', [{ chainId: '0x1', networkVersion: '1' }])
    daemon.push('walletd_chainChanged', [{ chainId: '0x89', networkVersion: '137' }])
    daemon.push('walletd_accountsChanged', [[]])
    expect(events.slice(1)).toEqual([
      ['accountsChanged', [A]],
      ['chainChanged', '0x89'],
      ['networkChanged', '137'],
      ['accountsChanged', []],
    ])
    expect(provider.chainId).toBe('0x89')
    expect(provider.selectedAddress).toBeNull()
  })

  it('an identity mismatch is final: no retry, no other transport, every request fails with the reason', async () => {
    vi.useFakeTimers()
    const http = createFakeDaemon('http')
    const { daemon, provider } = setup({ extra: http })
    const pending = provider.request({ method: 'eth_accounts' })
    const settled = expect(pending).rejects.toMatchObject({
      code: 4900,
      message: expect.stringContaining(IDENTITY_MISMATCH),
    })
    await daemon.refuse('identity', `${IDENTITY_MISMATCH}: test`)
    await settled
    expect(provider.status).toBe('failed')
    expect(provider.error?.message).toContain(IDENTITY_MISMATCH)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(daemon.attempts + http.attempts).toBe(0)
    await expect(provider.request({ method: 'eth_chainId' })).rejects.toMatchObject({ code: 4900 })
  })

  it('a blocked transport is skipped at once; when every one is blocked it fails clearly', async () => {
    const http = createFakeDaemon('http')
    const { daemon, provider } = setup({ extra: http })
    await daemon.refuse('blocked')
    await http.accept({ chainId: '0x1' })
    expect(provider.transport).toBe('http')

    const only = createFakeDaemon()
    const p2 = createWalletdProvider({ links: [{ name: 'websocket', open: only.open }] })
    const pending = p2.request({ method: 'eth_chainId' })
    await only.refuse('blocked')
    await expect(pending).rejects.toMatchObject({
      message: expect.stringContaining('Content-Security-Policy'),
    })
    expect(p2.status).toBe('failed')
  })

  it('reconnects with exponential backoff and jitter, capped', async () => {
    vi.useFakeTimers()
    const daemon = createFakeDaemon()
    const provider = createWalletdProvider({
      links: [{ name: 'websocket', open: daemon.open }],
      reconnect: { initialMs: 100, maxMs: 400 },
    })
    const times: number[] = []
    const start = Date.now()
    for (let i = 0; i < 5; i++) {
      await daemon.refuse('unreachable')
      while (daemon.attempts === 0) await vi.advanceTimersByTimeAsync(1)
      times.push(Date.now() - start)
    }
    const gaps = times.map((t, i) => t - (times[i - 1] ?? 0))
    // Each wait is between half and all of min(max, initial · 2^n).
    const caps = [100, 200, 400, 400, 400]
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(caps[i]! / 2)
      expect(g).toBeLessThanOrEqual(caps[i]! + 1)
    })
    provider.close()
  })

  it('legacy: enable, sendAsync (one and a batch), send(method)', async () => {
    const { daemon, provider } = setup()
    await daemon.accept({ chainId: '0x1' })
    const enabled = provider.enable()
    await flush()
    daemon.answer(daemon.sent[0]!.id, [A])
    expect(await enabled).toEqual([A])
    const one = new Promise((r) => provider.sendAsync({ id: 7, method: 'eth_chainId' }, (_e, res) => r(res)))
    await flush()
    daemon.answer(daemon.sent[1]!.id, '0x1')
    expect(await one).toEqual({ id: 7, jsonrpc: '2.0', result: '0x1' })
    const batch = new Promise((r) =>
      provider.sendAsync(
        [
          { id: 1, method: 'eth_chainId' },
          { id: 2, method: 'eth_blockNumber' },
        ],
        (_e, res) => r(res),
      ),
    )
    await flush()
    daemon.answer(daemon.sent[2]!.id, '0x1')
    daemon.fail(daemon.sent[3]!.id, -32000, 'nope')
    expect(await batch).toEqual([
      { id: 1, jsonrpc: '2.0', result: '0x1' },
      { id: 2, jsonrpc: '2.0', error: { code: -32000, message: 'nope' } },
    ])
    const sent = provider.send('net_version')
    await flush()
    daemon.answer(daemon.sent[4]!.id, '1')
    expect(await sent).toMatchObject({ result: '1' })
    expect(() => provider.send({ method: 'eth_call' })).toThrow(ProviderRpcError)
  })

  it('once, off, removeAllListeners and listenerCount behave like EventEmitter', () => {
    const { provider } = setup()
    const calls: string[] = []
    const l = () => calls.push('l')
    provider.once('x', l)
    expect(provider.listenerCount('x')).toBe(1)
    provider.off('x', l)
    expect(provider.listenerCount('x')).toBe(0)
    provider.addListener('y', l).on('y', l)
    expect(provider.listenerCount('y')).toBe(2)
    provider.removeAllListeners('y')
    expect(provider.listenerCount('y')).toBe(0)
    expect(provider.listenerCount('connect')).toBe(1)
    provider.removeAllListeners()
    expect(provider.listenerCount('connect')).toBe(0)
  })
})
