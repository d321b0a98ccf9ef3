import { type Address, encodeFunctionData, type Hex, parseAbi } from 'viem'
import { describe, expect, it } from 'vitest'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import { callReads, type DecodedCall, decodeCall } from './decodeCall.js'
import { fitSummary } from './fitSummary.js'

const TOKEN: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const SPENDER: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const ALICE: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const BOB: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const PERMIT2: Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3'
const MAX = 2n ** 256n - 1n

const abi = parseAbi([
  'function transfer(address to, uint256 amount)',
  'function approve(address spender, uint256 amount)',
  'function transferFrom(address from, address to, uint256 amount)',
  'function increaseAllowance(address spender, uint256 addedValue)',
  'function safeTransferFrom(address from, address to, uint256 tokenId)',
  'function safeTransferFrom(address from, address to, uint256 tokenId, bytes data)',
  'function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data)',
  'function safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] amounts, bytes data)',
  'function setApprovalForAll(address operator, bool approved)',
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
  'function deposit()',
])
const encode = (functionName: string, args: readonly unknown[]) =>
  encodeFunctionData({ abi, functionName, args } as never) as Hex

const info = (over: Partial<TokenInfo> = {}, address: Address = TOKEN): TokenInfo => ({
  chainId: 31337,
  address,
  hasCode: true,
  decimals: 6,
  symbol: 'USDC',
  name: 'USD Coin',
  erc721: false,
  erc1155: false,
  complete: true,
  ...over,
})
const tokens = (...list: TokenInfo[]) => new Map(list.map((t) => [t.address.toLowerCase(), t]))
const decode = (data: Hex, token: TokenInfo | null = info(), spenderHasCode: boolean | null = true) =>
  decodeCall(data, { contract: TOKEN, tokens: token ? tokens(token) : new Map(), spenderHasCode })
const line = (d: DecodedCall, label: string) => d.display.find((l) => l.label === label)?.value

describe('decodeCall: ERC-20', () => {
  it('transfer: "N SYMBOL" with the token decimals, the raw units beside', () => {
    const d = decode(encode('transfer', [BOB, 12_500_000n]))
    expect(d).toMatchObject({
      standard: 'erc20',
      function: 'transfer',
      args: { to: BOB, amount: 12_500_000n },
      selector: '0xa9059cbb',
      signature: 'transfer(address,uint256)',
      summary: `Transfer 12.5 USDC to ${BOB}`,
      warnings: [],
      risks: [],
    })
    expect(line(d, 'amount')).toBe('12.5 USDC (12500000 raw units)')
    expect(line(d, 'token')).toBe(`USD Coin (USDC) at ${TOKEN}, 6 decimals`)
    expect(line(d, 'recipient')).toBe(BOB)
  })

  it('transfer with unreadable metadata: raw units and a note, no guessing', () => {
    const d = decode(
      encode('transfer', [BOB, 12_500_000n]),
      info({ decimals: null, symbol: null, name: null }),
    )
    expect(line(d, 'amount')).toBe("12500000 raw units (the token's decimals could not be read)")
    expect(line(d, 'token')).toMatch(/token metadata could not be read: decimals\(\), symbol\(\)/)
    expect(d.summary).toBe(`Transfer 12500000 raw units to ${BOB}`)
    // Nothing read at all (the node unreachable).
    const none = decode(encode('transfer', [BOB, 1n]), null)
    expect(line(none, 'token')).toBe(`${TOKEN} (its metadata could not be read)`)
  })

  it('transfer to the token contract, to the zero address, to an address without code', () => {
    expect(decode(encode('transfer', [TOKEN, 1n])).risks).toEqual(['to-token-contract'])
    expect(decode(encode('transfer', ['0x0000000000000000000000000000000000000000', 1n])).risks).toEqual([
      'to-zero-address',
    ])
    const eoa = decode(encode('transfer', [BOB, 1n]), info({ hasCode: false, decimals: null, symbol: null }))
    expect(eoa.risks).toEqual(['token-without-code'])
    expect(eoa.warnings[0]!.message).toMatch(/has no code: this token call would do nothing/)
  })

  it('approve with an unlimited amount: WARNING with the symbol; a spender without code flagged', () => {
    const d = decode(encode('approve', [SPENDER, MAX]), info(), false)
    expect(d).toMatchObject({
      standard: 'erc20',
      function: 'approve',
      args: { spender: SPENDER, amount: MAX },
      summary: `Approve ${SPENDER} to spend UNLIMITED USDC`,
      risks: ['unlimited-allowance', 'spender-without-code'],
    })
    expect(d.warnings.map((w) => [w.level, w.message])).toEqual([
      [
        'warning',
        `UNLIMITED token approval: ${SPENDER} could spend ALL your USDC, now and later, without asking again.`,
      ],
      ['warning', expect.stringMatching(/is not a contract \(it has no code\).*phishing/)],
    ])
    expect(line(d, 'allowance')).toBe(`UNLIMITED (${MAX} raw units)`)
  })

  it('approve thresholds: 2^255 is unlimited, 2^128 huge, smaller amounts plain; 0 revokes', () => {
    expect(decode(encode('approve', [SPENDER, 2n ** 255n])).risks).toEqual(['unlimited-allowance'])
    expect(decode(encode('approve', [SPENDER, 2n ** 255n - 1n])).risks).toEqual(['huge-allowance'])
    const huge = decode(encode('approve', [SPENDER, 2n ** 128n]))
    expect(huge.warnings[0]!.message).toMatch(/enormous amount \(≈3\.4028e\+32 USDC\)/)
    const plain = decode(encode('approve', [SPENDER, 100_000_000n]))
    expect(plain.risks).toEqual([])
    expect(plain.summary).toBe(`Approve ${SPENDER} to spend 100 USDC`)
    expect(line(plain, 'allowance')).toBe('100 USDC (100000000 raw units)')
    const revoke = decode(encode('approve', [SPENDER, 0n]), info(), false)
    expect(revoke.risks).toEqual([]) // revoking to an account is harmless
    expect(revoke.summary).toBe(`Revoke ${SPENDER}'s allowance of USDC`)
  })

  it('increaseAllowance and transferFrom', () => {
    const inc = decode(encode('increaseAllowance', [SPENDER, MAX]))
    expect(inc).toMatchObject({ function: 'increaseAllowance', risks: ['unlimited-allowance'] })
    expect(inc.summary).toBe(`Let ${SPENDER} spend UNLIMITED USDC more`)
    const from = decode(encode('transferFrom', [ALICE, BOB, 2_000_000n]))
    expect(from).toMatchObject({
      standard: 'erc20',
      function: 'transferFrom',
      args: { from: ALICE, to: BOB, amount: 2_000_000n },
    })
    // Two full addresses do not fit in 100 characters: shortened in the summary, full in the details.
    expect(from.summary).toBe('Transfer 2 USDC from 0xf39F…2266 to 0x7099…79C8')
    expect(line(from, 'from')).toBe(ALICE)
  })

  it('huge amounts stay exact in the details and short in the summary', () => {
    const d = decode(encode('transfer', [BOB, MAX]), info({ decimals: 0, symbol: 'X' }))
    expect(line(d, 'amount')).toBe(`${MAX} X (${MAX} raw units)`)
    expect(d.summary.length).toBeLessThan(100)
    expect(d.summary).toMatch(/^Transfer ≈1\.1579e\+77 X to /)
    const tiny = decode(encode('transfer', [BOB, 1n]), info({ decimals: 255, symbol: 'T' }))
    expect(line(tiny, 'amount')).toMatch(/^0\.0{254}1 T \(1 raw units\)$/)
    expect(tiny.summary).toMatch(/^Transfer ≈1e-255 T to /)
  })
})

describe('decodeCall: NFTs (ERC-721, ERC-1155)', () => {
  const nft = info({ erc721: true, decimals: null, symbol: 'PUNK', name: 'Punks' })
  const multi = info({ erc1155: true, decimals: null, symbol: null, name: null })

  it('approve and transferFrom are ERC-721 when the contract says so (ERC-165)', () => {
    const a = decode(encode('approve', [SPENDER, 42n]), nft)
    expect(a).toMatchObject({
      standard: 'erc721',
      function: 'approve',
      args: { to: SPENDER, tokenId: 42n },
      summary: `Let ${SPENDER} take NFT #42 (PUNK)`,
      risks: [],
    })
    const t = decode(encode('transferFrom', [ALICE, BOB, 42n]), nft)
    expect(t).toMatchObject({
      standard: 'erc721',
      function: 'transferFrom',
      args: { tokenId: 42n, data: null },
    })
    expect(t.summary).toBe(`Transfer NFT #42 (PUNK) to ${BOB}`)
  })

  it('safeTransferFrom with and without data', () => {
    const plain = decode(encode('safeTransferFrom', [ALICE, BOB, 7n]), nft)
    expect(plain).toMatchObject({ standard: 'erc721', function: 'safeTransferFrom', args: { data: null } })
    const withData = decode(encode('safeTransferFrom', [ALICE, BOB, 7n, '0xdeadbeef']), nft)
    expect(withData).toMatchObject({ args: { tokenId: 7n, data: '0xdeadbeef' }, selector: '0xb88d4fde' })
    expect(line(withData, 'data')).toBe('4 bytes')
    const hugeId = decode(encode('safeTransferFrom', [ALICE, BOB, MAX]), nft)
    expect(hugeId.summary).toBe(`Transfer NFT #115792…9935 (PUNK) to ${BOB}`)
    expect(line(hugeId, 'token id')).toBe(MAX.toString())
  })

  it('setApprovalForAll(true): WARNING for all of the collection; false revokes quietly', () => {
    const d = decode(encode('setApprovalForAll', [SPENDER, true]), nft, false)
    expect(d).toMatchObject({
      standard: 'erc721',
      function: 'setApprovalForAll',
      args: { operator: SPENDER, approved: true },
      summary: `Let ${SPENDER} move ALL your PUNK tokens`,
      risks: ['approval-for-all', 'spender-without-code'],
    })
    expect(d.warnings[0]!.message).toMatch(
      /^Approval for ALL: 0x3C44.* could transfer every token you hold in PUNK/,
    )
    const off = decode(encode('setApprovalForAll', [SPENDER, false]), nft)
    expect(off).toMatchObject({ risks: [], warnings: [] })
    expect(off.summary).toBe(`Revoke ${SPENDER} as operator of your PUNK tokens`)
    expect(decode(encode('setApprovalForAll', [SPENDER, true]), multi).standard).toBe('erc1155')
  })

  it('ERC-1155 safeTransferFrom and safeBatchTransferFrom', () => {
    const one = decode(encode('safeTransferFrom', [ALICE, BOB, 3n, 10n, '0x']), multi)
    expect(one).toMatchObject({
      standard: 'erc1155',
      function: 'safeTransferFrom',
      args: { from: ALICE, to: BOB, id: 3n, amount: 10n, data: '0x' },
    })
    expect(one.summary).toBe(`Transfer 10 of token #3 (this collection) to ${BOB}`)
    const batch = decode(
      encode('safeBatchTransferFrom', [ALICE, BOB, [1n, 2n, 1n], [5n, 6n, 7n], '0x']),
      multi,
    )
    expect(batch).toMatchObject({
      function: 'safeBatchTransferFrom',
      args: { ids: [1n, 2n, 1n], amounts: [5n, 6n, 7n] },
    })
    expect(batch.display.filter((l) => l.label === 'token #1').map((l) => l.value)).toEqual(['5', '7'])
    expect(batch.summary).toBe(`Transfer 3 kinds of this collection tokens to ${BOB}`)
    const mismatched = decode(encode('safeBatchTransferFrom', [ALICE, BOB, [1n, 2n], [5n], '0x']), multi)
    expect(mismatched.risks).toEqual(['malformed'])
  })
})

describe('decodeCall: permits', () => {
  it('EIP-2612 permit (submitting a signed permit)', () => {
    const d = decode(
      encode('permit', [
        ALICE,
        SPENDER,
        MAX,
        1_700_000_000n,
        27,
        `0x${'11'.repeat(32)}`,
        `0x${'22'.repeat(32)}`,
      ]),
    )
    expect(d).toMatchObject({
      standard: 'erc2612',
      function: 'permit',
      args: { owner: ALICE, spender: SPENDER, value: MAX, deadline: 1_700_000_000n },
      risks: ['unlimited-allowance'],
    })
    expect(line(d, 'deadline')).toBe('1700000000 (2023-11-14T22:13:20.000Z)')
  })

  it('Permit2 approve: the inner token, uint160 unlimited, never-expiring', () => {
    const usdc = info({}, TOKEN)
    const d = decodeCall(encode('approve', [TOKEN, SPENDER, 2n ** 160n - 1n, 2 ** 48 - 1]), {
      contract: PERMIT2,
      tokens: tokens(usdc),
      spenderHasCode: true,
    })
    expect(d).toMatchObject({
      standard: 'permit2',
      function: 'approve',
      args: { token: TOKEN, spender: SPENDER, amount: 2n ** 160n - 1n, expiration: 2 ** 48 - 1 },
      summary: `Permit2: let ${SPENDER} spend UNLIMITED USDC`,
      risks: ['unlimited-allowance'],
    })
    expect(line(d, 'expires')).toBe('never')
    expect(line(d, 'token')).toMatch(/^USD Coin \(USDC\) at 0x5FbDB/)
    expect(
      decodeCall(encode('approve', [TOKEN, SPENDER, 2n ** 159n - 1n, 1]), {
        contract: PERMIT2,
        tokens: tokens(usdc),
      }).risks,
    ).toEqual(['huge-allowance'])
  })
})

describe('decodeCall: unknown and malformed data', () => {
  it('an unknown selector is shown as such with the data length', () => {
    const d = decode(encode('deposit', []))
    expect(d).toMatchObject({
      standard: null,
      function: null,
      selector: '0xd0e30db0',
      signature: null,
      args: { dataBytes: 4, looksLike: null },
      summary: `Call ${TOKEN} (unknown function 0xd0e30db0)`,
      warnings: [],
    })
    expect(d.display).toEqual([
      { label: 'function', value: 'unknown (selector 0xd0e30db0)' },
      { label: 'data', value: '4 bytes' },
    ])
  })

  it('data shorter than a selector', () => {
    expect(decode('0x0102')).toMatchObject({
      selector: null,
      args: { dataBytes: 2 },
      summary: `Call ${TOKEN} with 2 bytes of data`,
    })
  })

  it('a known selector whose arguments do not decode: shown as malformed with a WARNING', () => {
    for (const data of ['0xa9059cbb', '0xa9059cbb0000', `0x2eb2c2d6${'ff'.repeat(160)}`] as Hex[]) {
      const d = decode(data)
      expect(d).toMatchObject({ standard: null, function: null, risks: ['malformed'] })
      expect(d.warnings[0]!.message).toMatch(/do not decode/)
    }
    expect(decode('0xa9059cbb').args).toEqual({ dataBytes: 4, looksLike: 'transfer(address,uint256)' })
  })

  it('extra bytes after static arguments are flagged', () => {
    const d = decode(`${encode('transfer', [BOB, 1n])}deadbeef`)
    expect(d.function).toBe('transfer')
    expect(d.risks).toEqual(['extra-data'])
    expect(line(d, 'extra data')).toBe('4 bytes after the arguments')
  })

  it('upper-case selectors decode too', () => {
    const data = encode('transfer', [BOB, 1n]).replace('a9059cbb', 'A9059CBB') as Hex
    expect(decode(data).function).toBe('transfer')
  })
})

describe('callReads', () => {
  it('names the tokens and the spender to read', () => {
    expect(callReads(encode('transfer', [BOB, 1n]), TOKEN)).toEqual({ tokens: [TOKEN], spender: null })
    expect(callReads(encode('approve', [SPENDER, 1n]), TOKEN)).toEqual({ tokens: [TOKEN], spender: SPENDER })
    expect(callReads(encode('setApprovalForAll', [SPENDER, true]), TOKEN)).toEqual({
      tokens: [TOKEN],
      spender: SPENDER,
    })
    expect(callReads(encode('approve', [TOKEN, SPENDER, 1n, 1]), PERMIT2)).toEqual({
      tokens: [TOKEN],
      spender: SPENDER,
    })
    expect(callReads(encode('deposit', []), TOKEN)).toBeNull()
    expect(callReads('0xa9059cbb', TOKEN)).toEqual({ tokens: [TOKEN], spender: null })
  })
})

describe('fitSummary', () => {
  it('full addresses when they fit, short ones when not, cut as a last resort', () => {
    expect(fitSummary((s) => `Send to ${s(BOB)}`)).toBe(`Send to ${BOB}`)
    expect(fitSummary((s) => `${'x'.repeat(60)} ${s(BOB)}`)).toBe(`${'x'.repeat(60)} 0x7099…79C8`)
    const cut = fitSummary(() => 'y'.repeat(300))
    expect(cut).toHaveLength(99)
    expect(cut.endsWith('…')).toBe(true)
  })
})
