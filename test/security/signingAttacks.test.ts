import { type Address, type Hex, hashTypedData, recoverTypedDataAddress } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { ApprovalRequest, Approver } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { eip2612Permit } from '../helpers/permitTypedData.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Signing semantics under attack, against a whole daemon on the shared Anvil (security.md §7
 * items 34, 37–46): every refusal comes before anyone is asked (the recording approver's list
 * stays empty) and no signature or transaction hash is returned; what is shown is what is signed.
 * Nothing here lands on chain: every transaction is refused before it is sent, or rejected.
 */
const a0 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })
const a1 = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 })
/** Rejects unless told otherwise; a connect it approves grants only the first account offered. */
const scripted = createScriptedApprover([], 'reject')
const approver: Approver & { seen: ApprovalRequest[]; push: (typeof scripted)['push'] } = {
  ...scripted,
  async decide(request, signal) {
    const decision = await scripted.decide(request, signal)
    return decision?.approved && request.choices
      ? { approved: true, accounts: [request.choices.accounts[0]!] }
      : decision
  },
}
let d: TestDaemon
let c: RpcClient

const SIGNATURE = /^0x[0-9a-f]{130}$/

beforeAll(async () => {
  d = await startTestDaemon({
    approver,
    config: {
      approval: { cooldownAfter: 1000 },
      rateLimit: { classes: { sign: { burst: 1000, perSecond: 1000, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  c = await d.connect()
  approver.push('approve')
  const granted = await c.call('eth_requestAccounts')
  expect(granted.result).toContain(a0.address.toLowerCase())
  expect(granted.result).not.toContain(a1.address.toLowerCase())
})
afterAll(async () => {
  await c?.close()
  await d?.close()
})
beforeEach(() => {
  approver.seen.length = 0
})

const mail = (over: { chainId?: unknown; message?: Record<string, unknown> } = {}) => ({
  domain: { name: 'Mail', version: '1', chainId: over.chainId ?? 31337 },
  types: {
    EIP712Domain: [
      { name: 'name', type: 'string' },
      { name: 'version', type: 'string' },
      { name: 'chainId', type: 'uint256' },
    ],
    Mail: [
      { name: 'to', type: 'address' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  message: over.message ?? { to: a1.address, contents: 'hello' },
})

describe('refused before anyone is asked', () => {
  test('38: eth_sign (blind hash signing) is refused (-32601); nobody is asked', async () => {
    const res = await c.call('eth_sign', [a0.address, `0x${'11'.repeat(32)}`])
    expect(res.error?.code).toBe(-32601)
    expect(res.result).toBeUndefined()
    expect(approver.seen).toHaveLength(0)
  })

  test('40: typed data whose domain.chainId is not the active chain is refused (-32603)', async () => {
    for (const chainId of [1, '0x1', '1']) {
      const res = await c.call('eth_signTypedData_v4', [a0.address, JSON.stringify(mail({ chainId }))])
      expect(res.error).toMatchObject({ code: -32603 })
      expect(res.result).toBeUndefined()
    }
    expect(approver.seen).toHaveLength(0)
  })

  test('42: cyclic and huge EIP-712 types are refused (-32602); the daemon keeps answering', async () => {
    const cyclic = {
      ...mail(),
      types: { ...mail().types, A: [{ name: 'b', type: 'B' }], B: [{ name: 'a', type: 'A' }] },
      primaryType: 'A',
      message: { b: { a: { b: {} } } },
    }
    const wide = {
      ...mail(),
      types: {
        ...mail().types,
        Wide: Array.from({ length: 10_000 }, (_, i) => ({ name: `f${i}`, type: 'uint8' })),
      },
      primaryType: 'Wide',
      message: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, 1])),
    }
    const longArray = {
      ...mail(),
      types: { ...mail().types, Many: [{ name: 'xs', type: 'uint8[]' }] },
      primaryType: 'Many',
      message: { xs: Array.from({ length: 50_000 }, () => 1) },
    }
    for (const td of [cyclic, wide, longArray]) {
      const res = await c.call('eth_signTypedData_v4', [a0.address, JSON.stringify(td)])
      expect(res.error?.code).toBe(-32602)
    }
    expect(approver.seen).toHaveLength(0)
    expect((await c.call('eth_chainId')).result).toBe('0x7a69')
  })

  test('44: a SIWE message for another domain is blocked (4001) without asking', async () => {
    const siwe = [
      'evil.example wants you to sign in with your Ethereum account:',
      a0.address,
      '',
      'Sign in.',
      '',
      'URI: https://evil.example',
      'Version: 1',
      'Chain ID: 31337',
      'Nonce: abcdef123456',
      'Issued At: 2026-01-01T00:00:00Z',
    ].join('\n')
    const res = await c.call('personal_sign', [`0x${Buffer.from(siwe).toString('hex')}`, a0.address])
    expect(res.error).toMatchObject({ code: 4001, data: { reason: 'blocked' } })
    expect(approver.seen).toHaveLength(0)
  })

  test('45: a transaction for another chain is refused (-32602) without asking; nothing is sent', async () => {
    const before = (await c.call('eth_getTransactionCount', [a0.address, 'pending'])).result
    for (const chainId of ['0x1', '0x2a']) {
      const res = await c.call('eth_sendTransaction', [
        { from: a0.address, to: a1.address, value: '0x1', chainId },
      ])
      expect(res.error).toMatchObject({
        code: -32602,
        message: expect.stringMatching(/does not match the active chain/),
      })
    }
    expect(approver.seen).toHaveLength(0)
    expect((await c.call('eth_getTransactionCount', [a0.address, 'pending'])).result).toBe(before)
  })

  test('45: a transaction without a chain id is given the active one (never pre-EIP-155)', async () => {
    const res = await c.call('eth_sendTransaction', [{ from: a0.address, to: a1.address, value: '0x1' }])
    expect(res.error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    expect(approver.seen).toHaveLength(1)
    expect(approver.seen[0]!.facts).toMatchObject({ kind: 'transaction', chainId: 31337 })
  })

  test.each([
    [
      'the zero address as recipient',
      { to: '0x0000000000000000000000000000000000000000', value: '0x1' },
      4001,
    ],
    ['a contract creation with value and no data', { value: '0x1' }, -32602],
    ['data and input that differ', { to: a1.address, data: '0x01', input: '0x02' }, -32602],
  ])('46: %s is refused without asking', async (_name, tx, code) => {
    const res = await c.call('eth_sendTransaction', [{ from: a0.address, ...tx }])
    expect(res.error?.code).toBe(code)
    if (code === 4001) expect(res.error?.data).toMatchObject({ reason: 'blocked' })
    expect(res.result).toBeUndefined()
    expect(approver.seen).toHaveLength(0)
  })

  test('48: eth_signTransaction (pre-signing) is refused (-32004)', async () => {
    const res = await c.call('eth_signTransaction', [{ from: a0.address, to: a1.address, nonce: '0xffffff' }])
    expect(res.error?.code).toBe(-32004)
    expect(approver.seen).toHaveLength(0)
  })

  test('37: an account not granted to the origin cannot sign (4100)', async () => {
    const text = `0x${Buffer.from('hi').toString('hex')}`
    expect((await c.call('personal_sign', [text, a1.address])).error?.code).toBe(4100)
    expect((await c.call('eth_signTypedData_v4', [a1.address, JSON.stringify(mail())])).error?.code).toBe(
      4100,
    )
    expect(
      (await c.call('eth_sendTransaction', [{ from: a1.address, to: a0.address, value: '0x1' }])).error?.code,
    ).toBe(4100)
    expect(approver.seen).toHaveLength(0)
  })

  test('34: an origin that never connected sees no account and cannot sign (4100); nobody is asked', async () => {
    const stranger = await d.connect({ origin: 'https://stranger.example' })
    expect((await stranger.call('eth_accounts')).result).toEqual([])
    expect((await stranger.call('eth_coinbase')).result ?? null).toBeNull()
    const sign = await stranger.call('personal_sign', ['0x6869', a0.address])
    expect(sign.error?.code).toBe(4100)
    const send = await stranger.call('eth_sendTransaction', [
      { from: a0.address, to: a1.address, value: '0x1' },
    ])
    expect(send.error?.code).toBe(4100)
    expect(approver.seen).toHaveLength(0)
    await stranger.close()
  })
})

describe('what is shown is what is signed', () => {
  test('39: a 32-byte or RLP-looking personal_sign is asked with a warning; rejected, no signature', async () => {
    for (const bytes of [`0x${'ab'.repeat(32)}`, `0xf86c808504a817c800825208${'00'.repeat(20)}`]) {
      const res = await c.call('personal_sign', [bytes, a0.address])
      expect(res.error).toMatchObject({ code: 4001 })
      expect(res.result).toBeUndefined()
    }
    expect(approver.seen).toHaveLength(2)
    for (const seen of approver.seen) expect(seen.warnings.length).toBeGreaterThan(0)
  })

  test('41: message keys not in types are neither shown nor signed', async () => {
    const typed = mail({ message: { to: a1.address, contents: 'hello', hidden: 'transfer everything' } })
    approver.push('approve')
    const res = await c.call('eth_signTypedData_v4', [a0.address, JSON.stringify(typed)])
    expect(res.result).toMatch(SIGNATURE)
    expect(JSON.stringify(approver.seen[0]!.details)).not.toContain('transfer everything')
    // The signature is over the message without the extra key: the shown fields are the hashed ones.
    const shown = { ...typed, message: { to: a1.address, contents: 'hello' } }
    const recovered = await recoverTypedDataAddress({
      ...(shown as unknown as Parameters<typeof recoverTypedDataAddress>[0]),
      signature: res.result as Hex,
    })
    expect(recovered).toBe(a0.address)
    expect(hashTypedData(shown as never)).toBe(hashTypedData(typed as never))
  })

  test('43: a Permit for 2^256-1 with a far deadline is decoded and flagged; rejected, no signature', async () => {
    const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
    const permit = eip2612Permit({
      name: 'Token',
      chainId: 31337,
      token,
      owner: a0.address,
      spender: '0x000000000000000000000000000000000000dEaD',
      value: 2n ** 256n - 1n,
      deadline: 2n ** 256n - 1n,
    })
    const res = await c.call('eth_signTypedData_v4', [a0.address, JSON.stringify(permit)])
    expect(res.error).toMatchObject({ code: 4001 })
    const seen = approver.seen[0]!
    expect(seen.facts).toMatchObject({ kind: 'typedData', primaryType: 'Permit' })
    const allowance = (seen.facts as { allowances?: Array<{ unlimited: boolean; spender: string }> })
      .allowances?.[0]
    expect(allowance).toMatchObject({ unlimited: true })
    expect(allowance?.spender.toLowerCase()).toBe('0x000000000000000000000000000000000000dead')
    expect(seen.warnings.map((w) => w.message).join('\n')).toMatch(/unlimited/i)
  })

  test('the daemon is alive and the session unchanged after the refusals', async () => {
    expect((await c.call('eth_accounts')).result).toContain(a0.address.toLowerCase())
    const res = await fetch(`${d.baseUrl}/healthz`)
    expect(res.status).toBe(200)
    expect(approver.seen).toHaveLength(0)
  })
})
