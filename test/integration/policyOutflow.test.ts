import { type Address, encodeFunctionData, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPolicyApprover } from '../../src/approval/policy/createPolicyApprover.js'
import { PolicySchema } from '../../src/approval/policy/policySchema.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilReader, deployDirect, fund, writeDirect } from '../helpers/anvilChain.js'
import { TestToken } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * A policy reads the simulated facts: a per-period cap on the sender's net token outflow approves
 * until the cap and refuses the next transaction, naming the rule in the decision and in the log
 * line "approval decided"; a grant seen in the simulation is refused (allowApprovals not set).
 */
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 75 })
const friend = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 76 }).address
const reader = anvilReader()
let d: TestDaemon
let client: RpcClient
let token: Address

beforeAll(async () => {
  await fund(account.address)
  token = await deployDirect(account, TestToken, ['Test Token', 'TT', 6])
  await writeDirect(account, {
    address: token,
    abi: TestToken.abi,
    functionName: 'mint',
    args: [account.address, 1_000_000_000n],
  })
  const policy = PolicySchema.parse({
    version: 1,
    rules: [
      { name: 'connect', action: 'approve', chainIds: [31337], kinds: ['connect'] },
      {
        name: 'tt-hourly',
        action: 'approve',
        chainIds: [31337],
        kinds: ['transaction'],
        maxOutflow: [{ token: 'native', amount: '10000000000000000' }],
        maxOutflowPerPeriod: [{ token, amount: '10000000', periodSeconds: 3600 }],
      },
    ],
  })
  d = await startTestDaemon({
    approver: createPolicyApprover({ policy, hash: 'test' }),
    signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
      simulation: { timeoutMs: 15_000 },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

const transfer = (amount: bigint) =>
  client.call('eth_sendTransaction', [
    {
      from: account.address,
      to: token,
      data: encodeFunctionData({ abi: TestToken.abi, functionName: 'transfer', args: [friend, amount] }),
    },
  ])

/** The "approval decided" log lines, parsed. */
const decisions = () =>
  d
    .logText()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'approval decided')

describe('a policy with a per-period outflow cap (real Anvil, simulated facts)', () => {
  test('approves until the cap, refuses the next transaction, and names the rule', async () => {
    for (const amount of [4_000_000n, 6_000_000n]) {
      const { result, error } = await transfer(amount)
      expect(error).toBeUndefined()
      expect((await reader.waitForTransactionReceipt({ hash: result as Hex })).status).toBe('success')
    }
    const refused = await transfer(1n)
    expect(refused.error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    const lines = decisions().slice(-3)
    expect(lines.map((l) => [l.approved, l.by, l.rule])).toEqual([
      [true, 'policy', 'tt-hourly'],
      [true, 'policy', 'tt-hourly'],
      [false, 'policy', 'tt-hourly'],
    ])
    expect(lines[2]).toMatchObject({ reason: 'rejected' })
    expect(
      await reader.readContract({
        address: token,
        abi: TestToken.abi,
        functionName: 'balanceOf',
        args: [friend],
      }),
    ).toBe(10_000_000n)
  })

  test('the per-transaction native cap counts the fee; receiving is no outflow', async () => {
    // 0.01 ETH exactly is over the cap once the fee is added.
    const over = await client.call('eth_sendTransaction', [
      { from: account.address, to: friend, value: '0x2386f26fc10000' },
    ])
    expect(over.error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    expect(decisions().at(-1)).toMatchObject({ approved: false, rule: 'tt-hourly' })
    const under = await client.call('eth_sendTransaction', [
      { from: account.address, to: friend, value: '0x2386f26fc0000' },
    ])
    expect(under.error).toBeUndefined()
  })

  test('an allowance (seen by the decoding and the simulation) is refused: allowApprovals is not set', async () => {
    const { error } = await client.call('eth_sendTransaction', [
      {
        from: account.address,
        to: token,
        data: encodeFunctionData({ abi: TestToken.abi, functionName: 'approve', args: [friend, 1n] }),
      },
    ])
    expect(error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    expect(decisions().at(-1)).toMatchObject({ approved: false, by: 'policy', rule: 'tt-hourly' })
  })
})
