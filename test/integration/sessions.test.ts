import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import type { ChainConfig } from '../../src/config/schema.js'
import { type RecordingUpstream, startRecordingUpstream } from '../helpers/recordingUpstream.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { devSigner, startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Sessions through a whole daemon: a chain switch needs a prompt and sends the origin's reads to
 * the new chain's upstream (and only that origin's); a revoke really revokes; grants, revokes and
 * chains survive a restart. Two chains: the shared Anvil (31337) and a recording node (chain 1).
 */
const A = 'https://a.example'
const B = 'https://b.example'
const signer = devSigner(2)
const account = signer.accounts()[0]!.toLowerCase()
let node: RecordingUpstream
const open: RpcClient[] = []

const chains = (): ChainConfig[] => [
  {
    chainId: 31337,
    name: 'Anvil',
    rpcUrls: [inject('anvilWsUrl')],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  },
  {
    chainId: 1,
    name: 'Recorder',
    rpcUrls: [node.url],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  },
]

async function start(approver: ReturnType<typeof createScriptedApprover>, dataDir?: string) {
  return startTestDaemon({
    approver,
    signer,
    config: { chains: chains(), defaultChainId: 31337 },
    ...(dataDir ? { dataDir } : {}),
  })
}
async function connectAs(d: TestDaemon, origin: string) {
  const c = await d.connect({ origin })
  open.push(c)
  return c
}
const reached = (method: string) => node.calls.filter((c) => c.method === method).length

beforeAll(async () => {
  node = await startRecordingUpstream(1)
  node.head = 0x4242n
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})
afterAll(async () => {
  await node?.close()
})

describe('wallet_switchEthereumChain', () => {
  let d: TestDaemon
  const approver = createScriptedApprover([], 'approve')
  beforeAll(async () => {
    d = await start(approver)
  })
  afterAll(async () => {
    await d?.close()
  })

  test('asks first; a rejection changes nothing; an approval switches only that origin', async () => {
    const a = await connectAs(d, A)
    const b = await connectAs(d, B)
    expect((await a.call('eth_chainId')).result).toBe('0x7a69')

    approver.push('reject')
    const refused = await a.call('wallet_switchEthereumChain', [{ chainId: '0x1' }])
    expect(refused.error?.code).toBe(4001)
    expect(approver.seen.map((r) => [r.method, r.origin])).toEqual([['wallet_switchEthereumChain', A]])
    expect((await a.call('eth_chainId')).result).toBe('0x7a69')

    const switched = await a.call('wallet_switchEthereumChain', [{ chainId: '0x1' }])
    expect(switched).toMatchObject({ result: null })
    expect(approver.seen).toHaveLength(2)
    expect(approver.seen[1]!.chainId).toBe(31337)
    const pushed = await a.waitForNotification((n) => n.method === 'walletd_chainChanged')
    expect(pushed.params).toEqual([{ chainId: '0x1', networkVersion: '1' }])
    expect((await a.call('eth_chainId')).result).toBe('0x1')
    // Switching to the active chain asks nothing.
    expect(await a.call('wallet_switchEthereumChain', [{ chainId: '0x1' }])).toMatchObject({ result: null })
    expect(approver.seen).toHaveLength(2)

    // The origin's reads now go to chain 1's node; the other origin's still to Anvil.
    const before = reached('eth_blockNumber')
    expect((await a.call('eth_blockNumber')).result).toBe('0x4242')
    expect(reached('eth_blockNumber')).toBe(before + 1)
    const other = await b.call('eth_blockNumber')
    expect(other.result).not.toBe('0x4242')
    expect(reached('eth_blockNumber')).toBe(before + 1)
    expect((await b.call('eth_chainId')).result).toBe('0x7a69')
  })

  test('an unknown chain is 4902 without a prompt', async () => {
    const a = await connectAs(d, 'https://c.example')
    const seen = approver.seen.length
    expect((await a.call('wallet_switchEthereumChain', [{ chainId: '0x5' }])).error?.code).toBe(4902)
    expect(approver.seen).toHaveLength(seen)
  })
})

describe('wallet_revokePermissions', () => {
  let d: TestDaemon
  const approver = createScriptedApprover([], 'approve')
  beforeAll(async () => {
    d = await start(approver)
  })
  afterAll(async () => {
    await d?.close()
  })

  test('drops the grant: no accounts, signing 4100, accountsChanged [], and connect asks again', async () => {
    const a = await connectAs(d, A)
    expect((await a.call('eth_requestAccounts')).result).toEqual(
      signer.accounts().map((x) => x.toLowerCase()),
    )
    expect((await a.call('personal_sign', ['0x68656c6c6f', account])).result).toMatch(/^0x[0-9a-f]{130}$/)
    const prompts = approver.seen.length

    expect(await a.call('wallet_revokePermissions', [{ eth_accounts: {} }])).toMatchObject({ result: null })
    const pushed = await a.waitForNotification(
      (n) => n.method === 'walletd_accountsChanged' && (n.params as unknown[][])[0]!.length === 0,
    )
    expect(pushed.params).toEqual([[]])
    expect((await a.call('eth_accounts')).result).toEqual([])
    expect((await a.call('wallet_getPermissions')).result).toEqual([])
    expect((await a.call('personal_sign', ['0x68656c6c6f', account])).error?.code).toBe(4100)
    expect(approver.seen).toHaveLength(prompts)
    // Connecting again needs a new approval.
    expect((await a.call('eth_requestAccounts')).result).toHaveLength(2)
    expect(approver.seen.map((r) => r.method).slice(prompts)).toEqual(['eth_requestAccounts'])
  })
})

describe('grants, revokes and chains survive a restart', () => {
  let dataDir: string
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  /** Runs `steps` on a daemon on the shared data dir, then stops it (the next round restarts). */
  async function round(
    script: Array<'approve' | 'reject'>,
    steps: (a: RpcClient, b: RpcClient, approver: ReturnType<typeof createScriptedApprover>) => Promise<void>,
  ) {
    const approver = createScriptedApprover(script, 'reject')
    const d = await start(approver, dataDir)
    try {
      await steps(await connectAs(d, A), await connectAs(d, B), approver)
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()))
      await d.close()
    }
  }
  const accounts = signer.accounts().map((x) => x.toLowerCase())

  // Each change is the last one before a restart, so no later write can save it by the way.
  test('each change is on disk when the daemon stops: a grant, a chain switch, a revoke', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'walletd-restart-'))
    await round(['approve'], async (a) => {
      expect((await a.call('eth_requestAccounts')).result).toEqual(accounts)
    })
    await round(['approve'], async (a, b, approver) => {
      // The grant survived (no prompt: the approver would reject); B has none.
      expect((await a.call('eth_accounts')).result).toEqual(accounts)
      expect((await a.call('eth_requestAccounts')).result).toEqual(accounts)
      expect((await b.call('eth_accounts')).result).toEqual([])
      expect(approver.seen).toEqual([])
      expect((await a.call('wallet_switchEthereumChain', [{ chainId: '0x1' }])).result).toBeNull()
    })
    await round([], async (a) => {
      expect((await a.call('eth_chainId')).result).toBe('0x1')
      expect((await a.call('eth_accounts')).result).toEqual(accounts)
      expect((await a.call('wallet_revokePermissions', [{ eth_accounts: {} }])).result).toBeNull()
    })
    await round([], async (a, _b, approver) => {
      expect((await a.call('eth_accounts')).result).toEqual([])
      expect((await a.call('eth_requestAccounts')).error?.code).toBe(4001)
      expect(approver.seen.map((r) => [r.method, r.origin])).toEqual([['eth_requestAccounts', A]])
      // The chain stays after a revoke.
      expect((await a.call('eth_chainId')).result).toBe('0x1')
    })
  })
})
