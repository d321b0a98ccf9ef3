import { type Address, encodeFunctionData, maxUint256, parseSignature } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilReader, deployDirect, fund, writeDirect } from '../helpers/anvilChain.js'
import { TestNFT, TestToken } from '../helpers/contracts.js'
import { eip2612Permit } from '../helpers/permitTypedData.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Token calls decoded in the prompt, against real contracts on Anvil: the token's decimals and
 * symbol are read from the chain (TestToken with 6 decimals), unlimited approvals and approvals
 * for all are WARNINGs, a spender without code is flagged.
 */
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 51 })
const friend = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 52 }).address
const approver = createScriptedApprover([], 'approve')
const reader = anvilReader()
let d: TestDaemon
let client: RpcClient
let token: Address
let nft: Address

beforeAll(async () => {
  await fund(account.address)
  token = await deployDirect(account, TestToken, ['Test Token', 'TT', 6])
  nft = await deployDirect(account, TestNFT, ['Test NFT', 'TNFT'])
  await writeDirect(account, {
    address: token,
    abi: TestToken.abi,
    functionName: 'mint',
    args: [account.address, 1_000_000_000n],
  })
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

async function send(to: Address, abi: typeof TestToken.abi, functionName: string, args: unknown[]) {
  const seen = approver.seen.length
  const data = encodeFunctionData({ abi, functionName, args } as never)
  const { result, error } = await client.call('eth_sendTransaction', [{ from: account.address, to, data }])
  expect(error).toBeUndefined()
  expect((await reader.waitForTransactionReceipt({ hash: result as `0x${string}` })).status).toBe('success')
  return approver.seen[seen]!
}

describe('decoded token calls in the prompt (real Anvil)', () => {
  test('ERC-20 transfer: "N SYMBOL" with the decimals read from the chain, raw units beside', async () => {
    const prompt = await send(token, TestToken.abi, 'transfer', [friend, 12_500_000n])
    expect(prompt.summary).toBe(`Transfer 12.5 TT to ${friend}`)
    expect(prompt.details.call).toMatchObject({
      standard: 'ERC-20',
      token: `Test Token (TT) at ${token}, 6 decimals`,
      recipient: friend,
      amount: '12.5 TT (12500000 raw units)',
    })
    // The only warning is the simulation's: the tokens go to an address without code that this
    // account never sent to through walletd.
    expect(prompt.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(new RegExp(`^${friend} would receive your assets, but it has no code`)),
    ])
    expect(
      await reader.readContract({
        address: token,
        abi: TestToken.abi,
        functionName: 'balanceOf',
        args: [friend],
      }),
    ).toBe(12_500_000n)
  })

  test('ERC-20 approve of an unlimited amount: WARNING with the symbol', async () => {
    // The spender is a contract (the NFT): only the unlimited amount is flagged.
    const prompt = await send(token, TestToken.abi, 'approve', [nft, maxUint256])
    expect(prompt.summary).toBe(`Approve ${nft} to spend UNLIMITED TT`)
    expect(prompt.warnings).toEqual([
      {
        level: 'warning',
        message: `UNLIMITED token approval: ${nft} could spend ALL your TT, now and later, without asking again.`,
      },
    ])
    expect(prompt.details.call).toMatchObject({
      spender: nft,
      allowance: `UNLIMITED (${maxUint256} raw units)`,
    })
  })

  test('ERC-20 approve of a plain account: the spender without code is flagged; the amount in TT', async () => {
    const prompt = await send(token, TestToken.abi, 'approve', [friend, 2_000_000n])
    expect(prompt.summary).toBe(`Approve ${friend} to spend 2 TT`)
    expect(prompt.details.call).toMatchObject({ allowance: '2 TT (2000000 raw units)' })
    expect(prompt.warnings).toEqual([
      { level: 'warning', message: expect.stringMatching(new RegExp(`${friend} is not a contract`)) },
    ])
  })

  test('NFT setApprovalForAll: WARNING for the whole collection', async () => {
    const prompt = await send(nft, TestNFT.abi, 'setApprovalForAll', [token, true])
    expect(prompt.summary).toBe(`Let ${token} move ALL your TNFT tokens`)
    expect(prompt.details.call).toMatchObject({
      standard: 'ERC-721',
      collection: `Test NFT (TNFT) at ${nft}`,
    })
    expect(prompt.warnings).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(/^Approval for ALL: .* could transfer every token you hold in TNFT/),
      },
    ])
  })

  test('NFT transferFrom is decoded as ERC-721 (ERC-165), not as an ERC-20 amount', async () => {
    await writeDirect(account, {
      address: nft,
      abi: TestNFT.abi,
      functionName: 'mint',
      args: [account.address, 77n],
    })
    const prompt = await send(nft, TestNFT.abi, 'transferFrom', [account.address, friend, 77n])
    expect(prompt.summary).toBe(`Transfer NFT #77 (TNFT) to ${friend}`)
    expect(prompt.details.call).toMatchObject({ 'token id': '77' })
  })

  test('an unknown function is shown as such with the data length', async () => {
    const prompt = await send(token, TestToken.abi, 'mint', [friend, 1n])
    expect(prompt.summary).toBe(`Call ${token} (unknown function 0x40c10f19)`)
    expect(prompt.details.call).toEqual({ function: 'unknown (selector 0x40c10f19)', data: '68 bytes' })
  })

  test('an EIP-2612 permit in typed data: the amount in TT; submitting it decodes the permit call', async () => {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600)
    const typedData = eip2612Permit({
      name: 'Test Token',
      chainId: 31337,
      token,
      owner: account.address,
      spender: nft,
      value: 3_000_000n,
      deadline,
    })
    const seen = approver.seen.length
    const { result: signature, error } = await client.call('eth_signTypedData_v4', [
      account.address,
      JSON.stringify(typedData),
    ])
    expect(error).toBeUndefined()
    const prompt = approver.seen[seen]!
    expect(prompt.summary).toBe(`Sign a permit: ${nft} may spend 3 TT`)
    expect(prompt.details.permit).toMatchObject({
      token: `Test Token (TT) at ${token}, 6 decimals`,
      allowance: '3 TT (3000000 raw units)',
    })
    const { r, s, v } = parseSignature(signature as `0x${string}`)
    const submitted = await send(token, TestToken.abi, 'permit', [
      account.address,
      nft,
      3_000_000n,
      deadline,
      Number(v),
      r,
      s,
    ])
    expect(submitted.summary).toBe(`Submit a permit: ${nft} may spend 3 TT`)
    expect(
      await reader.readContract({
        address: token,
        abi: TestToken.abi,
        functionName: 'allowance',
        args: [account.address, nft],
      }),
    ).toBe(3_000_000n)
  })
})
