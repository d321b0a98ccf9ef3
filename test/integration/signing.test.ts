import { readFileSync } from 'node:fs'
import { createWalletClient, custom, type Hex, recoverMessageAddress, recoverTypedDataAddress } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { verifyAuditLog } from '../../src/audit/verifyAuditLog.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilRpc, waitForReceipt } from '../helpers/anvilRpc.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Signing through a whole walletd against real Anvil. Signatures are compared with viem's own
 * local-account signatures. Sends come from well-known-mnemonic accounts at high indexes, funded
 * here, so no other test file shares their nonces.
 */
const signerAccount = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 8 })
const sender = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 41 })
const burst = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 42 })

let d: TestDaemon
let client: RpcClient

beforeAll(async () => {
  for (const a of [sender, burst]) await anvilRpc('anvil_setBalance', [a.address, '0x56bc75e2d63100000']) // 100 ETH
  d = await startTestDaemon({
    approver: createScriptedApprover([], 'approve'),
    signer: createSigner({ privateKeys: [signerAccount, sender, burst].map(privateKeyOf) }),
    // This file measures signing, not the (deliberately tight) per-origin sign budget.
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  client = await d.connect()
  const granted = await client.call('eth_requestAccounts', [])
  expect(granted.error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

describe('signing through walletd (real Anvil)', () => {
  test('personal_sign equals viem local signing and recovers to the account', async () => {
    for (const message of ['Hello from walletd', 'ünïcødé ✓']) {
      const hex = `0x${Buffer.from(message, 'utf8').toString('hex')}` as Hex
      for (const param of [message, hex]) {
        const { result, error } = await client.call('personal_sign', [
          param,
          signerAccount.address.toLowerCase(),
        ])
        expect(error).toBeUndefined()
        expect(result).toBe(await signerAccount.signMessage({ message }))
        expect(await recoverMessageAddress({ message, signature: result as Hex })).toBe(signerAccount.address)
      }
    }
  })

  test('eth_signTypedData_v4 equals viem local signing and recovers to the account', async () => {
    const typedData = {
      domain: {
        name: 'Ether Mail',
        version: '1',
        chainId: 31337,
        verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
      },
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallets', type: 'address[]' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'to', type: 'Person[]' },
          { name: 'contents', type: 'string' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Mail',
      message: {
        from: { name: 'Cow', wallets: ['0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826'] },
        to: [{ name: 'Bob', wallets: ['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'] }],
        contents: 'Hello, Bob!',
        amount: 10n ** 30n,
      },
    } as const
    // Through viem's wallet client (JSON-RPC account): it stringifies, bigints as decimal strings.
    const wallet = createWalletClient({
      account: signerAccount.address,
      chain: foundry,
      transport: custom({
        async request({ method, params }) {
          const { result, error } = await client.call(method, params)
          if (error) throw Object.assign(new Error(error.message), error)
          return result
        },
      }),
    })
    const signature = await wallet.signTypedData(typedData)
    expect(signature).toBe(await signerAccount.signTypedData(typedData))
    expect(await recoverTypedDataAddress({ ...typedData, signature })).toBe(signerAccount.address)
  })

  test('eth_sendTransaction lands on chain (receipt, balance change)', async () => {
    const recipient = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 43 }).address
    const before = BigInt(await anvilRpc('eth_getBalance', [recipient, 'latest']))
    const wallet = createWalletClient({
      account: sender.address,
      chain: foundry,
      transport: custom({
        async request({ method, params }) {
          const { result, error } = await client.call(method, params)
          if (error) throw Object.assign(new Error(error.message), error)
          return result
        },
      }),
    })
    const hash = await wallet.sendTransaction({ to: recipient, value: 12345n })
    const r = await waitForReceipt(hash)
    expect(r.status).toBe('0x1')
    expect(r.from).toBe(sender.address.toLowerCase())
    expect(BigInt(await anvilRpc('eth_getBalance', [recipient, 'latest'])) - before).toBe(12345n)
    const tx = await anvilRpc('eth_getTransactionByHash', [hash])
    expect(tx.chainId).toBe('0x7a69')
    expect(tx.type).toBe('0x2')
  })

  test('20 concurrent sends from one account all land with distinct nonces', async () => {
    const recipient = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 44 }).address
    const start = Number(BigInt(await anvilRpc('eth_getTransactionCount', [burst.address, 'pending'])))
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.call('eth_sendTransaction', [{ from: burst.address, to: recipient, value: '0x1' }]),
      ),
    )
    expect(responses.map((r) => r.error)).toEqual(Array(20).fill(undefined))
    const hashes = responses.map((r) => r.result as string)
    expect(new Set(hashes).size).toBe(20)
    const receipts = await Promise.all(hashes.map((h) => waitForReceipt(h)))
    expect(receipts.every((r) => r.status === '0x1')).toBe(true)
    const nonces = await Promise.all(
      hashes.map(async (h) => Number(BigInt((await anvilRpc('eth_getTransactionByHash', [h])).nonce))),
    )
    expect([...nonces].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => start + i))
  })

  test('16 concurrent personal_signs: each answer is in the audit log, after its approval, and the chain verifies', async () => {
    const messages = Array.from(
      { length: 16 },
      (_, i) => `0x${Buffer.from(`group ${i}`).toString('hex')}` as Hex,
    )
    const answers = await Promise.all(
      messages.map((m) => client.call('personal_sign', [m, signerAccount.address.toLowerCase()])),
    )
    const signatures = answers.map((a) => {
      expect(a.error).toBeUndefined()
      return a.result as string
    })
    for (const [i, m] of messages.entries())
      expect(signatures[i]).toBe(await signerAccount.signMessage({ message: { raw: m } }))
    // The answers came back, so their records were written (and synced) before them.
    const records = readFileSync(d.daemon.paths.auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    for (const signature of signatures) {
      const at = records.findIndex((r) => r.type === 'signature' && r.signature === signature)
      expect(at).toBeGreaterThan(0)
      const approval = records.findIndex(
        (r) => r.type === 'approval' && r.id === records[at].approvalId && r.approved === true,
      )
      expect(approval).toBeGreaterThanOrEqual(0)
      expect(approval).toBeLessThan(at)
    }
    expect(verifyAuditLog(d.daemon.paths.auditLog, d.daemon.paths.auditHead)).toMatchObject({ ok: true })
  })

  test('refusals: eth_sign -32601, eth_signTransaction -32004, wallet_sendTransaction -32601, 7702 -32602', async () => {
    expect((await client.call('eth_sign', [signerAccount.address, `0x${'11'.repeat(32)}`])).error?.code).toBe(
      -32601,
    )
    expect((await client.call('eth_signTransaction', [{ from: sender.address }])).error?.code).toBe(-32004)
    expect((await client.call('wallet_sendTransaction', [{ from: sender.address }])).error?.code).toBe(-32601)
    const r = await client.call('eth_sendTransaction', [
      { from: sender.address, to: sender.address, authorizationList: [] },
    ])
    expect(r.error).toMatchObject({
      code: -32602,
      message: 'External EIP-7702 transactions are not supported',
    })
  })

  test('no private key or mnemonic appears in the logs', async () => {
    const text = d.logText()
    expect(text.length).toBeGreaterThan(0)
    for (const a of [signerAccount, sender, burst]) {
      const key = Buffer.from(a.getHdKey().privateKey!).toString('hex')
      expect(text.toLowerCase()).not.toContain(key)
    }
    expect(text).not.toContain(ANVIL_MNEMONIC)
  })
})
