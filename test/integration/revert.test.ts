import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  encodeFunctionData,
  http,
} from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilChain, anvilReader, fund } from '../helpers/anvilChain.js'
import { Reverter } from '../helpers/contracts.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { throughWalletd } from '../helpers/viemThrough.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * A transaction whose simulation reverts, through walletd against a real Reverter on Anvil: with a
 * gas limit from the dApp the person is asked, warned with the decoded reason; without one the
 * dApp gets -32603 with the revert data, which viem decodes with the contract's ABI.
 */
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 50 })
const approver = createScriptedApprover([], 'approve')
const chain = anvilChain()
const reader = anvilReader()
let d: TestDaemon
let client: RpcClient
let reverter: Address

beforeAll(async () => {
  await fund(account.address)
  const deployer = createWalletClient({ account, chain, transport: http(inject('anvilHttpUrl')) })
  const hash = await deployer.deployContract({ abi: Reverter.abi, bytecode: Reverter.bytecode })
  reverter = (await reader.waitForTransactionReceipt({ hash })).contractAddress!
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [account].map(privateKeyOf) }),
    config: {
      rateLimit: { classes: { sign: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  client = await d.connect()
  expect((await client.call('eth_requestAccounts', [])).error).toBeUndefined()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

const data = (functionName: string, args: unknown[] = []) =>
  encodeFunctionData({ abi: Reverter.abi, functionName, args } as never)

describe('a reverting transaction (real Anvil)', () => {
  test.each([
    ['failWithReason', [], /reverted with "Reverter: always fails"/],
    ['failWithPanic', [0n], /reverted with "panic 0x12: division or modulo by zero"/],
    [
      'failWithCustom',
      [],
      /reverted with "custom error 0x8626cc03 \(unknown to walletd; 64 bytes of arguments\)"/,
    ],
  ])(
    '%s with gasLimit: the prompt warns it will likely fail, with the decoded reason; it is sent and fails',
    async (fn, args, warning) => {
      const seen = approver.seen.length
      const { result, error } = await client.call('eth_sendTransaction', [
        { from: account.address, to: reverter, data: data(fn, args), gasLimit: '0x30d40' },
      ])
      expect(error).toBeUndefined()
      const prompt = approver.seen[seen]!
      expect(prompt.warnings).toContainEqual({
        level: 'warning',
        message: expect.stringMatching(warning),
      })
      expect(prompt.warnings.some((w) => /will likely FAIL/.test(w.message))).toBe(true)
      expect(prompt.details.gas).toBe('200000')
      const receipt = await reader.waitForTransactionReceipt({ hash: result as `0x${string}` })
      expect(receipt.status).toBe('reverted')
      expect(receipt.gasUsed).toBeLessThanOrEqual(200_000n)
    },
  )

  test('without gas: -32603 with the revert data and the decoded reason; nobody is asked', async () => {
    const seen = approver.seen.length
    const reason = await client.call('eth_sendTransaction', [
      { from: account.address, to: reverter, data: data('failWithReason') },
    ])
    expect(reason.error).toMatchObject({
      code: -32603,
      message: 'execution reverted: Reverter: always fails',
      data: expect.stringMatching(/^0x08c379a0/),
    })
    const panic = await client.call('eth_sendTransaction', [
      { from: account.address, to: reverter, data: data('failWithPanic', [0n]) },
    ])
    expect(panic.error).toEqual({
      code: -32603,
      message: 'execution reverted: panic 0x12: division or modulo by zero',
      data: '0x4e487b710000000000000000000000000000000000000000000000000000000000000012',
    })
    const custom = await client.call('eth_sendTransaction', [
      { from: account.address, to: reverter, data: data('failWithCustom') },
    ])
    expect(custom.error).toMatchObject({
      code: -32603,
      message: expect.stringContaining('custom error 0x8626cc03'),
      data: expect.stringMatching(/^0x8626cc03/),
    })
    expect(approver.seen.length).toBe(seen)
  })

  test('viem writeContract decodes the custom error from the data walletd answers', async () => {
    const wallet = createWalletClient({ account: account.address, chain, transport: throughWalletd(client) })
    const err = await wallet
      .writeContract({ address: reverter, abi: Reverter.abi, functionName: 'failWithCustom' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BaseError)
    const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
    expect(reverted).toBeInstanceOf(ContractFunctionRevertedError)
    expect((reverted as ContractFunctionRevertedError).data).toMatchObject({
      errorName: 'NotAllowed',
      args: [account.address, 7n],
    })
  })
})
