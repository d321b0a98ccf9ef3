import { describe, expect, it } from 'vitest'
import type { DevChainStatus } from '../../dev/superviseAnvil.js'
import type { Services } from '../../rpc/services.js'
import { createConnectionRegistry, type LiveConnection } from '../createConnectionRegistry.js'
import { healthReport } from './health.js'

type Up = { connected: boolean; transport: 'ws' | 'http' } | undefined

function services(o: {
  chains?: { chainId: number; name: string }[]
  upstreams?: Record<number, Up>
  accounts?: number | null
  canDecide?: boolean
  now?: number
}): Services {
  const chains = o.chains ?? [{ chainId: 1, name: 'One' }]
  return {
    chains: { list: () => chains },
    upstreams: {
      get: (id: number) => {
        const st = o.upstreams?.[id]
        return st === undefined ? undefined : { status: () => st }
      },
    },
    signer:
      o.accounts === null ? null : { accounts: () => Array.from({ length: o.accounts ?? 1 }, () => '0x1') },
    approvals: { canDecide: o.canDecide ?? true, approverNames: ['policy', 'terminal'] },
    now: () => o.now ?? 10_000,
  } as unknown as Services
}

const dev = (over: Partial<DevChainStatus>): DevChainStatus => ({
  running: true,
  restarts: 0,
  reason: null,
  persisted: false,
  ...over,
})

describe('healthReport', () => {
  it('ready: every upstream connected, an account unlocked, an approver; uptime rounded', () => {
    const connections = createConnectionRegistry()
    connections.add({ origin: 'https://a.example', tokenName: 'h' } as unknown as LiveConnection)
    const report = healthReport(
      services({ upstreams: { 1: { connected: true, transport: 'ws' } }, accounts: 2, now: 10_600 }),
      connections,
      '1.2.3',
      9_000,
    )
    expect(report).toEqual({
      status: 'ok',
      ready: true,
      version: '1.2.3',
      pid: process.pid,
      uptimeSeconds: 2,
      connections: 1,
      chains: [{ chainId: 1, name: 'One', connected: true, transport: 'ws' }],
      signer: { unlocked: true, accounts: 2 },
      approvers: ['policy', 'terminal'],
      notReady: [],
    })
  })

  it('a chain without an upstream is unreachable over http; one down among several degrades', () => {
    const report = healthReport(
      services({
        chains: [
          { chainId: 1, name: 'One' },
          { chainId: 2, name: 'Two' },
        ],
        upstreams: { 1: { connected: true, transport: 'ws' } },
      }),
      createConnectionRegistry(),
      'v',
      10_000,
    )
    expect(report.chains[1]).toEqual({ chainId: 2, name: 'Two', connected: false, transport: 'http' })
    expect(report.status).toBe('degraded')
    expect(report.notReady).toEqual(['the upstream of chain 2 is not reachable'])
  })

  it('no chain at all is degraded and not ready', () => {
    const report = healthReport(services({ chains: [] }), createConnectionRegistry(), 'v', 10_000)
    expect(report.status).toBe('degraded')
    expect(report.notReady).toEqual(['no chain is configured'])
  })

  it('locked (no signer, or one without accounts) and nobody to approve: not ready, no approvers named', () => {
    for (const accounts of [null, 0]) {
      const report = healthReport(
        services({ upstreams: { 1: { connected: true, transport: 'http' } }, accounts, canDecide: false }),
        createConnectionRegistry(),
        'v',
        10_000,
      )
      expect(report).toMatchObject({
        status: 'ok',
        ready: false,
        signer: { unlocked: false, accounts: 0 },
        approvers: [],
        notReady: ['no account is unlocked', 'no approver can decide (start with --policy or an approver)'],
      })
    }
  })

  it('dev mode: the supervised chain is reported; down, it degrades with its reason', () => {
    const up = services({ upstreams: { 1: { connected: true, transport: 'ws' } } })
    const running = healthReport(up, createConnectionRegistry(), 'v', 10_000, () => dev({}))
    expect(running).toMatchObject({ status: 'ok', ready: true, devChain: dev({}) })
    const down = healthReport(up, createConnectionRegistry(), 'v', 10_000, () =>
      dev({ running: false, reason: 'exited with code 1; restarting' }),
    )
    expect(down).toMatchObject({
      status: 'degraded',
      ready: false,
      notReady: ['dev chain down: exited with code 1; restarting'],
    })
    const silent = healthReport(up, createConnectionRegistry(), 'v', 10_000, () => dev({ running: false }))
    expect(silent.notReady).toEqual(['dev chain down: Anvil is not running'])
    // Outside dev mode there is no devChain field.
    expect('devChain' in healthReport(up, createConnectionRegistry(), 'v', 10_000)).toBe(false)
  })
})
