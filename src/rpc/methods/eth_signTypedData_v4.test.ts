import { getAddress, getTypesForEIP712Domain, hashTypedData } from 'viem'
import { recoverTypedDataAddress } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import {
  accounts,
  CHAIN_ID,
  createSigningHarness,
  recordingApprover,
} from '../../../test/helpers/signingFakes.js'
import { TYPED_DATA_LIMITS } from '../schemas/typedData.js'

const [a0, a1, a2] = accounts as [(typeof accounts)[0], (typeof accounts)[0], (typeof accounts)[0]]
const CONTRACT = '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC'

/** The EIP712Domain fields every fixture here uses. */
const DOMAIN_TYPES = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
]

/** The reference dApp's v4 "Mail" example (chainId as a decimal string, arrays, nested structs). */
function mail(chainId: unknown = String(CHAIN_ID)) {
  return {
    types: {
      EIP712Domain: DOMAIN_TYPES,
      Group: [
        { name: 'name', type: 'string' },
        { name: 'members', type: 'Person[]' },
      ],
      Mail: [
        { name: 'from', type: 'Person' },
        { name: 'to', type: 'Person[]' },
        { name: 'contents', type: 'string' },
      ],
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallets', type: 'address[]' },
      ],
    },
    primaryType: 'Mail',
    domain: { name: 'Ether Mail', version: '1', chainId, verifyingContract: CONTRACT },
    message: {
      contents: 'Hello, Bob!',
      from: {
        name: 'Cow',
        wallets: ['0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826', '0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF'],
      },
      to: [{ name: 'Bob', wallets: ['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'] }],
      attachment: '0x', // not in types: neither signed nor shown
    },
  }
}

/** The same payload as viem takes it (numbers as numbers, no EIP712Domain, no extra keys). */
function mailForViem() {
  const { EIP712Domain: _, ...types } = mail().types
  const { attachment: __, ...message } = mail().message
  return { types, primaryType: 'Mail' as const, domain: { ...mail().domain, chainId: CHAIN_ID }, message }
}

const permit = (value: string, deadline: string) => ({
  types: {
    EIP712Domain: DOMAIN_TYPES,
    Permit: [
      { name: 'owner', type: 'address' },
      { name: 'spender', type: 'address' },
      { name: 'value', type: 'uint256' },
      { name: 'nonce', type: 'uint256' },
      { name: 'deadline', type: 'uint256' },
    ],
  },
  primaryType: 'Permit',
  domain: { name: 'USD Coin', version: '2', chainId: CHAIN_ID, verifyingContract: CONTRACT },
  message: {
    owner: a0.address,
    spender: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    value,
    nonce: '0',
    deadline,
  },
})

describe('eth_signTypedData_v4', () => {
  it('signs the reference dApp payload (JSON string, decimal chainId) exactly like viem', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { result, error } = await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(mail())])
    expect(error).toBeUndefined()
    expect(result).toBe(await a0.signTypedData(mailForViem() as never))
    expect(await recoverTypedDataAddress({ ...mailForViem(), signature: result } as never)).toBe(a0.address)
    // Object params too, with chainId as hex.
    expect((await h.call('eth_signTypedData_v4', [a0.address, mail('0x7a69')])).result).toBe(result)
    expect(seen[0]!.details).toMatchObject({
      primaryType: 'Mail',
      domain: { name: 'Ether Mail', chainId: '31337' },
    })
  })

  it('displays only the hashed fields (message keys not in types are not shown)', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(mail())])
    const message = seen[0]!.details.message as Record<string, unknown>
    expect(Object.keys(message).sort()).toEqual(['contents', 'from', 'to'])
    expect(JSON.stringify(seen[0]!.details)).not.toContain('attachment')
  })

  it('derives EIP712Domain like viem when the dApp leaves it out, and normalises uint strings', async () => {
    const h = createSigningHarness()
    const td = { ...permit('1000', '1700000600') }
    const { EIP712Domain: _, ...types } = td.types
    const { result } = await h.call('eth_signTypedData_v4', [a0.address, { ...td, types }])
    const viemTd = {
      types,
      primaryType: 'Permit' as const,
      domain: td.domain,
      message: { ...td.message, value: 1000n, nonce: 0n, deadline: 1_700_000_600n },
    }
    expect(result).toBe(await a0.signTypedData(viemTd as never))
    expect(getTypesForEIP712Domain({ domain: td.domain as never })).toEqual(td.types.EIP712Domain)
    expect(hashTypedData(viemTd as never)).toBe(hashTypedData({ ...viemTd, types: td.types } as never))
  })

  it('refuses a domain chainId other than the active chain: -32603 with MetaMask text', async () => {
    const h = createSigningHarness()
    for (const chainId of [1, '1', '0x1']) {
      const { error } = await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(mail(chainId))])
      expect(error).toMatchObject({
        code: -32603,
        message: 'Provided chainId "1" must match the active chainId "31337"',
      })
    }
    expect(
      (await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(mail('one'))])).error?.code,
    ).toBe(-32602)
  })

  it('warns on Permit with an unlimited amount or a far deadline', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const max = (2n ** 256n - 1n).toString()
    await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(permit(max, '99999999999'))])
    const messages = seen[0]!.warnings.map((w) => w.message)
    expect(messages).toEqual([
      expect.stringMatching(/UNLIMITED amount: 0x3C44.* could spend ALL of this token/),
      expect.stringMatching(/more than a year/),
      expect.stringMatching(/The spender 0x3C44.* is not a contract/),
    ])
    expect(seen[0]!.summary).toBe(
      'Sign a permit: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC may spend UNLIMITED tokens',
    )
    // The allowance the signature grants, as facts: token, spender, amount, deadline.
    expect(seen[0]!.facts).toMatchObject({
      allowances: [
        {
          standard: 'erc2612',
          token: CONTRACT,
          spender: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
          amount: 2n ** 256n - 1n,
          unlimited: true,
          deadline: 99_999_999_999n,
          forAll: false,
          tokenId: null,
        },
      ],
    })
    await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(permit('1000', '1700000600'))])
    expect(seen[1]!.warnings).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/move your tokens/) }),
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/is not a contract/) }),
    ])
  })

  it('a Permit2 batch naming many tokens reads the metadata of at most 8 of them', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const tokens = Array.from({ length: 20 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`)
    const batch = {
      types: {
        EIP712Domain: DOMAIN_TYPES,
        PermitBatch: [
          { name: 'details', type: 'PermitDetails[]' },
          { name: 'spender', type: 'address' },
          { name: 'sigDeadline', type: 'uint256' },
        ],
        PermitDetails: [
          { name: 'token', type: 'address' },
          { name: 'amount', type: 'uint160' },
          { name: 'expiration', type: 'uint48' },
          { name: 'nonce', type: 'uint48' },
        ],
      },
      primaryType: 'PermitBatch',
      domain: { name: 'Permit2', version: '1', chainId: CHAIN_ID, verifyingContract: CONTRACT },
      message: {
        details: tokens.map((token) => ({ token, amount: '1', expiration: '1700000600', nonce: '0' })),
        spender: a1.address,
        sigDeadline: '1700000600',
      },
    }
    const { error } = await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(batch)])
    expect(error).toBeUndefined()
    expect(seen[0]!.summary).toBe(`Sign Permit2: ${a1.address} may spend 20 tokens`)
    // One allowance per token, each with the spender, the amount and its expiration.
    const allowances = (seen[0]!.facts as unknown as { allowances: { token: string }[] }).allowances
    expect(allowances).toHaveLength(20)
    expect(allowances[19]).toMatchObject({
      standard: 'permit2',
      token: getAddress(tokens[19]!),
      spender: a1.address,
      amount: 1n,
      unlimited: false,
      deadline: 1_700_000_600n,
    })
    // 8 tokens and the spender: one eth_getCode each.
    expect(h.node.calls.filter((c) => c.method === 'eth_getCode')).toHaveLength(9)
  })

  it('rejects cyclic and self-referencing types without overflowing the stack', async () => {
    const h = createSigningHarness()
    const cyclic = {
      ...mail(),
      types: { ...mail().types, A: [{ name: 'b', type: 'B' }], B: [{ name: 'a', type: 'A' }] },
      primaryType: 'A',
      message: { b: { a: {} } },
    }
    expect((await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(cyclic)])).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/refers to itself/),
    })
    const self = { ...mail(), types: { ...mail().types, Person: [{ name: 'friends', type: 'Person[]' }] } }
    expect((await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(self)])).error?.code).toBe(
      -32602,
    )
  })

  it('bounds depth, field counts, type counts and total size', async () => {
    const h = createSigningHarness()
    const chain: Record<string, { name: string; type: string }[]> = {}
    for (let i = 0; i < 20; i++) chain[`T${i}`] = [{ name: 'x', type: i === 19 ? 'uint8' : `T${i + 1}` }]
    const deep = { ...mail(), types: { ...mail().types, ...chain }, primaryType: 'T0', message: {} }
    expect((await h.call('eth_signTypedData_v4', [a0.address, deep])).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/deeper than/),
    })
    const wide = {
      ...mail(),
      types: {
        ...mail().types,
        Wide: Array.from({ length: 10_000 }, (_, i) => ({ name: `f${i}`, type: 'uint8' })),
      },
      primaryType: 'Wide',
    }
    expect((await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(wide)])).error?.code).toBe(
      -32602,
    )
    const many: Record<string, { name: string; type: string }[]> = {}
    for (let i = 0; i < TYPED_DATA_LIMITS.maxTypes + 1; i++) many[`S${i}`] = [{ name: 'x', type: 'uint8' }]
    expect(
      (await h.call('eth_signTypedData_v4', [a0.address, { ...mail(), types: { ...mail().types, ...many } }]))
        .error?.code,
    ).toBe(-32602)
    const huge = {
      ...mail(),
      message: { ...mail().message, contents: 'x'.repeat(TYPED_DATA_LIMITS.maxChars) },
    }
    expect((await h.call('eth_signTypedData_v4', [a0.address, JSON.stringify(huge)])).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/larger than/),
    })
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expect((await h.call('eth_signTypedData_v4', [a0.address, nested])).error?.code).toBe(-32602)
  })

  it('-32602 for malformed typed data and bad params', async () => {
    const h = createSigningHarness()
    const bad: unknown[] = [
      [a0.address],
      [a0.address, 'not json'],
      [a0.address, 42],
      ['0xnope', JSON.stringify(mail())],
      [a0.address, JSON.stringify({ ...mail(), primaryType: 'Nope' })],
      [a0.address, JSON.stringify({ ...mail(), primaryType: 'EIP712Domain' })],
      [
        a0.address,
        JSON.stringify({ ...mail(), types: { ...mail().types, Person: [{ name: 'w', type: 'Undefined' }] } }),
      ],
      [
        a0.address,
        JSON.stringify({
          ...mail(),
          types: { ...mail().types, constructor: [{ name: 'x', type: 'uint8' }] },
        }),
      ],
      [a0.address, JSON.stringify({ ...mail(), message: { ...mail().message, contents: 5 } })],
      [a0.address, JSON.stringify({ ...mail(), message: { from: mail().message.from, to: [] } })],
      [a0.address, JSON.stringify({ ...mail(), domain: { ...mail().domain, verifyingContract: '0x1234' } })],
      [
        a0.address,
        JSON.stringify({
          ...mail(),
          types: { ...mail().types, EIP712Domain: [{ name: 'chainId', type: 'string' }] },
        }),
      ],
    ]
    for (const params of bad)
      expect(
        (await h.call('eth_signTypedData_v4', params)).error?.code,
        JSON.stringify(params).slice(0, 200),
      ).toBe(-32602)
  })

  it('4100 for a non-permitted account; 4001 when rejected', async () => {
    const h = createSigningHarness()
    expect((await h.call('eth_signTypedData_v4', [a2.address, JSON.stringify(mail())])).error?.code).toBe(
      4100,
    )
    const rejecting = createSigningHarness({
      approver: { name: 'scripted', decide: async () => ({ approved: false, reason: 'rejected' }) },
    })
    expect(
      (await rejecting.call('eth_signTypedData_v4', [a1.address, JSON.stringify(mail())])).error?.code,
    ).toBe(4001)
  })
})

describe('eth_signTypedData_v3', () => {
  it('signs struct-only typed data like viem and refuses arrays', async () => {
    const h = createSigningHarness()
    const td = {
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'contents', type: 'string' },
        ],
      },
      primaryType: 'Mail' as const,
      domain: {
        name: 'Ether Mail',
        version: '1',
        chainId: CHAIN_ID,
        verifyingContract: CONTRACT as `0x${string}`,
      },
      message: {
        from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' as `0x${string}` },
        contents: 'Hi',
      },
    }
    expect((await h.call('eth_signTypedData_v3', [a1.address, JSON.stringify(td)])).result).toBe(
      await a1.signTypedData(td),
    )
    expect((await h.call('eth_signTypedData_v3', [a1.address, JSON.stringify(mail())])).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/arrays/),
    })
  })
})
