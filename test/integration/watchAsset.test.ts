import { type Address, createWalletClient, getAddress, http } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { anvilChain, anvilReader, fund } from '../helpers/anvilChain.js'
import { TestToken } from '../helpers/contracts.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import { throughWalletd } from '../helpers/viemThrough.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * wallet_watchAsset for an ERC-20 deployed in the test (8 decimals): walletd reads the token from
 * the chain, flags a site that misstates its symbol or decimals, and keeps the contract's values.
 */
const deployerAccount = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 53 })
const approver = createScriptedApprover([], 'approve')
const chain = anvilChain()
let d: TestDaemon
let client: RpcClient
let token: Address

beforeAll(async () => {
  await fund(deployerAccount.address)
  const reader = anvilReader()
  const deployer = createWalletClient({
    account: deployerAccount,
    chain,
    transport: http(inject('anvilHttpUrl')),
  })
  const hash = await deployer.deployContract({
    abi: TestToken.abi,
    bytecode: TestToken.bytecode,
    args: ['Watched Token', 'WAT', 8],
  })
  token = getAddress((await reader.waitForTransactionReceipt({ hash })).contractAddress!)
  d = await startTestDaemon({
    approver,
    config: {
      rateLimit: { classes: { prompt: { burst: 100, perSecond: 100, perMinute: 10_000, perHour: 100_000 } } },
    },
  })
  client = await d.connect()
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

describe('wallet_watchAsset (real Anvil)', () => {
  test('viem watchAsset with the right symbol and decimals: asked, true, stored', async () => {
    const wallet = createWalletClient({ transport: throughWalletd(client) })
    const seen = approver.seen.length
    const image = 'https://metamask.github.io/test-dapp/metamask-fox.svg'
    expect(
      await wallet.watchAsset({
        type: 'ERC20',
        options: { address: token, symbol: 'WAT', decimals: 8, image },
      }),
    ).toBe(true)
    const prompt = approver.seen[seen]!
    expect(prompt.summary).toBe(`Watch token WAT at ${token}`)
    expect(prompt.details).toMatchObject({ token, symbol: 'WAT', decimals: 8, name: 'Watched Token' })
    expect(prompt.warnings).toEqual([])
    expect(d.daemon.services.watchedAssets.get(31337, token)).toMatchObject({
      symbol: 'WAT',
      decimals: 8,
      image,
      addedBy: 'https://app.example',
    })
  })

  test('a site that misstates symbol and decimals is flagged; the contract values are kept', async () => {
    const seen = approver.seen.length
    const { result, error } = await client.call('wallet_watchAsset', {
      type: 'ERC20',
      options: { address: token, symbol: 'USDC', decimals: 18 },
    })
    expect(error).toBeUndefined()
    expect(result).toBe(true)
    expect(approver.seen[seen]!.warnings).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(
          /^DECIMALS MISMATCH: the site says 18 decimals, the contract says 8\./,
        ),
      },
      {
        level: 'warning',
        message: expect.stringMatching(/^Symbol mismatch: the site says "USDC", the contract says "WAT"/),
      },
    ])
    expect(d.daemon.services.watchedAssets.get(31337, token)).toMatchObject({ symbol: 'WAT', decimals: 8 })
  })

  test('rejected: 4001; an address without a contract: -32602 before any prompt', async () => {
    approver.push('reject')
    const rejected = await client.call('wallet_watchAsset', { type: 'ERC20', options: { address: token } })
    expect(rejected.error?.code).toBe(4001)
    const seen = approver.seen.length
    const none = await client.call('wallet_watchAsset', {
      type: 'ERC20',
      options: { address: '0x000000000000000000000000000000000000dEaD', symbol: 'X', decimals: 1 },
    })
    expect(none.error).toMatchObject({ code: -32602, message: expect.stringMatching(/no contract at/) })
    expect(approver.seen.length).toBe(seen)
  })
})
