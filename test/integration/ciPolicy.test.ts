import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  recoverMessageAddress,
  recoverTypedDataAddress,
} from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AnvilInstance, startAnvil } from '../../src/dev/startAnvil.js'
import { type CliHome, createCliHome, startCliDaemon } from '../helpers/cliDaemon.js'

/**
 * CI's own flow, no person and no terminal: the built CLI started as a CI job starts it (stdin
 * not a TTY), and a viem script that connects, signs a message and typed data, and sends 100
 * transactions, all approved by a policy — the built-in dev policy, or an attested file.
 */
let home: CliHome
let second: AnvilInstance

beforeAll(async () => {
  home = createCliHome('walletd-ci-')
  second = await startAnvil({ port: 0, chainId: 31338 })
})
afterAll(async () => {
  await second?.stop()
  home?.cleanup()
})

const typedData = {
  domain: { name: 'CI', version: '1', chainId: 31337 },
  types: { Job: [{ name: 'id', type: 'uint256' }] },
  primaryType: 'Job',
  message: { id: 42n },
} as const

/** The viem script a CI job runs against walletd's HTTP endpoint with its bearer token. */
async function ciScript(httpUrl: string, token: string) {
  const transport = http(httpUrl, { fetchOptions: { headers: { authorization: `Bearer ${token}` } } })
  const chain = { ...foundry, rpcUrls: { default: { http: [httpUrl] } } }
  const reader = createPublicClient({ chain, transport })
  const [account] = await createWalletClient({ chain, transport }).requestAddresses()
  const wallet = createWalletClient({ account: account!, chain, transport })
  const signature = await wallet.signMessage({ message: 'ci run 1' })
  expect(await recoverMessageAddress({ message: 'ci run 1', signature })).toBe(account)
  const typed = await wallet.signTypedData(typedData)
  expect(await recoverTypedDataAddress({ ...typedData, signature: typed })).toBe(account)

  const to: Address = '0x000000000000000000000000000000000000c1c1'
  const start = await reader.getTransactionCount({ address: account! })
  const hashes: Hex[] = []
  for (let batch = 0; batch < 5; batch++) {
    // Twenty at once: a policy decides them all, none waits behind another as a person's prompt would.
    hashes.push(
      ...(await Promise.all(
        Array.from({ length: 20 }, () => wallet.sendTransaction({ to, value: parseEther('0.001') })),
      )),
    )
  }
  const nonces: number[] = []
  for (const hash of hashes) {
    const receipt = await reader.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    nonces.push((await reader.getTransaction({ hash })).nonce)
  }
  expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => start + i))
  expect(await reader.getBalance({ address: to })).toBe(parseEther('0.1'))
  return account!
}

describe('CI with a policy, no person, no terminal', () => {
  test('start --dev --policy dev: connect, sign, typed data and 100 transactions, all approved; ready at once', async () => {
    const d = await startCliDaemon(['--dev', '--port', '0', '--policy', 'dev'], home.env)
    try {
      expect(d.stderr()).toContain('approvals: policy dev (built-in: chain 31337, Anvil dev accounts) first')
      const ready = await fetch(d.httpUrl.replace('/rpc', '/readyz'))
      expect(ready.status).toBe(200)
      const account = await ciScript(d.httpUrl, d.devToken!)
      expect(account).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    } finally {
      expect((await d.stop()).code).toBe(0)
    }
  })

  test('--policy dev without --dev is refused (usage, exit 2) before anything listens', () => {
    const r = home.run(['start', '--port', '0', '--upstream', second.httpUrl, '--policy', 'dev'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--policy dev is the built-in dev policy')
    expect(r.stderr).toContain('[WALLETD_ERR_USAGE]')
    expect(r.stdout).not.toContain('listening')
  })

  test('an attested policy file for 31337 approves the same flow; an edited file stops start; another chain gets nothing', async () => {
    const file = join(home.home, 'ci-policy.json')
    const policy = {
      version: 1,
      rules: [
        {
          name: 'ci-anvil',
          action: 'approve',
          chainIds: [31337],
          origins: ['token:dev'],
          kinds: ['connect', 'message', 'typedData', 'transaction'],
          accounts: ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'],
          maxValueWei: '10000000000000000',
        },
      ],
    }
    writeFileSync(file, JSON.stringify(policy, null, 2))

    // Not attested yet: start refuses (exit 3) and says how to attest.
    const unattested = home.run(['start', '--dev', '--port', '0', '--policy', file])
    expect(unattested.code).toBe(3)
    expect(unattested.stderr).toContain('[WALLETD_ERR_POLICY_UNATTESTED]')
    expect(unattested.stderr).toContain(`walletd policy attest ${file}`)

    const attest = home.run(['policy', 'attest', file, '--json'])
    expect(attest.code, attest.stderr).toBe(0)
    expect(JSON.parse(attest.stdout)).toMatchObject({
      rules: ['ci-anvil'],
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    })

    // `policy check` says which rule decides, for writing policies.
    const request = (value: string, chainId = 31337) =>
      JSON.stringify({
        origin: 'token:dev',
        method: 'eth_sendTransaction',
        facts: {
          kind: 'transaction',
          chainId,
          account: policy.rules[0]!.accounts[0],
          to: '0x000000000000000000000000000000000000c1c1',
          value,
        },
      })
    expect(home.run(['policy', 'check', file, '--request', request('1000')]).stdout).toContain(
      'approve (rule "ci-anvil")',
    )
    expect(home.run(['policy', 'check', file, '--request', request('20000000000000000')]).stdout).toContain(
      'reject (rule "ci-anvil"): refused: value',
    )
    expect(home.run(['policy', 'check', file, '--request', request('1', 1)]).stdout).toContain(
      'none: no rule matched',
    )

    const d = await startCliDaemon(['--dev', '--port', '0', '--policy', file], home.env)
    try {
      await ciScript(d.httpUrl, d.devToken!)
    } finally {
      expect((await d.stop()).code).toBe(0)
    }

    // A second chain, which the policy does not name, as the session's chain: nothing is approved.
    // (A fresh data dir: a persisted session keeps the chain it was on.)
    const otherData = join(home.home, 'other-data')
    expect(home.run(['policy', 'attest', file, '--data-dir', otherData]).code).toBe(0)
    const onOther = await startCliDaemon(
      ['--dev', '--port', '0', '--policy', file, '--upstream', second.httpUrl, '--data-dir', otherData],
      { ...home.env, WALLETD_DEFAULT_CHAIN_ID: '31338' },
    )
    try {
      const call = async (method: string, params: unknown[] = []) =>
        (await (
          await fetch(onOther.httpUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${onOther.devToken}` },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
          })
        ).json()) as { result?: unknown; error?: { code: number; data?: { reason?: string } } }
      expect((await call('eth_chainId')).result).toBe('0x7a6a')
      expect((await call('eth_requestAccounts')).error).toMatchObject({
        code: 4001,
        data: { reason: 'no-approver' },
      })
      expect((await call('eth_accounts')).result).toEqual([])
    } finally {
      await onOther.stop()
    }

    // One byte changed after attesting: start refuses.
    writeFileSync(file, JSON.stringify({ ...policy, description: 'edited' }, null, 2))
    const edited = home.run(['start', '--dev', '--port', '0', '--policy', file])
    expect(edited.code).toBe(3)
    expect(edited.stderr).toContain('was changed since it was attested')
  })

  test('a CRITICAL finding is refused even when a rule matches', async () => {
    const d = await startCliDaemon(['--dev', '--port', '0', '--policy', 'dev'], home.env)
    try {
      const call = async (method: string, params: unknown[] = []) =>
        (await (
          await fetch(d.httpUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${d.devToken}` },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
          })
        ).json()) as { result?: unknown; error?: { code: number; data?: { reason?: string } } }
      const [account] = (await call('eth_requestAccounts')).result as string[]
      // To the zero address: burnt. CRITICAL blocks before any approver.
      const burn = await call('eth_sendTransaction', [
        { from: account, to: '0x0000000000000000000000000000000000000000', value: '0x1' },
      ])
      expect(burn.error).toMatchObject({ code: 4001, data: { reason: 'blocked' } })
    } finally {
      await d.stop()
    }
  })
})

test('a SIGTERM the moment the banner appears still stops walletd gracefully (exit 0)', async () => {
  const d = await startCliDaemon(['--dev', '--port', '0'], home.env)
  expect(await d.stop()).toEqual({ code: 0, signal: null })
  expect(d.stdout()).toContain('walletd stopped (SIGTERM)')
})
