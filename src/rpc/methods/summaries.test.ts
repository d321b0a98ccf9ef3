import { encodeAbiParameters, encodeFunctionData, parseAbi, toHex } from 'viem'
import { expect, test } from 'vitest'
import { accounts, createSigningHarness, recordingApprover } from '../../../test/helpers/signingFakes.js'
import { createMethodTable } from './index.js'
import { createWalletAddEthereumChain } from './wallet_addEthereumChain.js'

/**
 * Every method that asks for approval gives a one-line summary under 100 characters, whatever the
 * page sends (long origins, names, symbols, amounts), with no account list in it: accounts are
 * in the details. A method added to the table with an approval must get a sample here.
 */
const HOST = `${'very-long-label-'.repeat(12)}example`
const ORIGIN = `https://${HOST}`
const LONG_NAME = 'N'.repeat(100)
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const [a0, a1] = accounts as [(typeof accounts)[0], (typeof accounts)[0]]
const erc20 = parseAbi(['function transferFrom(address from, address to, uint256 amount)'])

test('every approval summary is one line under 100 characters, without account lists', async () => {
  const { approver, seen } = recordingApprover()
  const addChain = createWalletAddEthereumChain({ probe: async () => 777 })
  const h = createSigningHarness({ approver, replace: [addChain] })
  h.node.code.set(TOKEN.toLowerCase(), '0x6000')
  h.node.on('eth_call', ([call]: [{ data: string }]) => {
    if (call.data === '0x313ce567') return encodeAbiParameters([{ type: 'uint8' }], [0])
    if (call.data === '0x95d89b41' || call.data === '0x06fdde03')
      return encodeAbiParameters([{ type: 'string' }], ['S'.repeat(32)])
    throw new Error('reverted')
  })
  h.services.chains.add({
    chainId: 31337,
    name: LONG_NAME,
    rpcUrls: ['ws://127.0.0.1:8545'],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  })
  h.services.chains.add({
    chainId: 5,
    name: LONG_NAME,
    rpcUrls: ['https://rpc.example'],
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    blockExplorerUrls: [],
  })
  const typed = (version: 'v3' | 'v4') => ({
    types: {
      EIP712Domain: [{ name: 'name', type: 'string' }],
      [`P${'x'.repeat(120)}`]: [{ name: 'v', type: version === 'v4' ? 'uint256[]' : 'uint256' }],
    },
    primaryType: `P${'x'.repeat(120)}`,
    domain: { name: LONG_NAME },
    message: { v: version === 'v4' ? ['1'] : '1' },
  })
  const siwe = [
    `${HOST} wants you to sign in with your Ethereum account:`,
    a0.address,
    '',
    `URI: ${ORIGIN}`,
    'Version: 1',
    'Chain ID: 31337',
    'Nonce: 32891756',
    'Issued At: 2023-11-14T22:13:20.000Z',
  ].join('\n')

  const samples: Record<string, unknown[]> = {
    eth_requestAccounts: [[]],
    wallet_requestPermissions: [[{ eth_accounts: {} }]],
    wallet_switchEthereumChain: [[{ chainId: '0x5' }]],
    wallet_addEthereumChain: [[{ chainId: '0x309', chainName: LONG_NAME, rpcUrls: [`https://${HOST}/rpc`] }]],
    wallet_watchAsset: [{ type: 'ERC20', options: { address: TOKEN } }],
    personal_sign: [
      [toHex('hello '.repeat(1000)), a0.address],
      [toHex(siwe), a0.address],
    ],
    eth_signTypedData_v4: [[a0.address, JSON.stringify(typed('v4'))]],
    eth_signTypedData_v3: [[a0.address, JSON.stringify(typed('v3'))]],
    eth_sendTransaction: [
      [{ from: a0.address, to: a1.address, value: toHex(2n ** 255n) }],
      [
        {
          from: a0.address,
          to: TOKEN,
          value: '0x1',
          data: encodeFunctionData({
            abi: erc20,
            functionName: 'transferFrom',
            args: [a0.address, a1.address, 2n ** 256n - 1n],
          }),
        },
      ],
      [{ from: a0.address, data: `0x${'60'.repeat(5000)}`, value: toHex(10n ** 40n) }],
    ],
    wallet_sendCalls: [
      [
        {
          version: '2.0.0',
          chainId: '0x7a69',
          atomicRequired: false,
          calls: [
            {
              to: TOKEN,
              data: encodeFunctionData({
                abi: erc20,
                functionName: 'transferFrom',
                args: [a0.address, a1.address, 2n ** 256n - 1n],
              }),
            },
            { to: a1.address, value: toHex(10n ** 40n) },
          ],
        },
      ],
    ],
  }
  const withApproval = [...createMethodTable().values()]
    .filter((m) => m.approval !== undefined)
    .map((m) => m.method)
  expect(Object.keys(samples).sort()).toEqual(withApproval.sort())

  for (const [method, list] of Object.entries(samples)) {
    for (const params of list) {
      if (method !== 'eth_requestAccounts' && method !== 'wallet_requestPermissions') {
        h.sessions.grantAccounts(ORIGIN, [a0.address, a1.address])
      }
      const before = seen.length
      const { error } = await h.call(method, params, ORIGIN)
      expect(error, `${method} ${JSON.stringify(params).slice(0, 80)}`).toBeUndefined()
      expect(seen.length, method).toBe(before + 1)
      const { summary } = seen[before]!
      expect(summary.length, `${method}: ${summary}`).toBeLessThan(100)
      expect(summary).not.toMatch(/[\n\r]/)
      expect(summary).not.toContain(HOST.slice(0, 40)) // the origin is its own field, in full
      // Never a list of accounts: at most one address in a summary line (shortened ones count too).
      expect((summary.match(/0x[0-9a-fA-F]{4}/g) ?? []).length, `${method}: ${summary}`).toBeLessThanOrEqual(
        2,
      )
    }
    if (method === 'wallet_switchEthereumChain' || method === 'wallet_addEthereumChain')
      h.sessions.setChain(ORIGIN, 31337)
  }
})
