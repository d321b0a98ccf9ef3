import { recoverMessageAddress } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import { accounts, createSigningHarness, recordingApprover } from '../../../test/helpers/signingFakes.js'

const [a0, a1, a2] = accounts as [(typeof accounts)[0], (typeof accounts)[0], (typeof accounts)[0]]

describe('personal_sign', () => {
  it('signs UTF-8 text like viem, shows the text, returns a signature that recovers to the account', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { result } = await h.call('personal_sign', ['Hello walletd ✓', a0.address.toLowerCase()])
    expect(result).toBe(await a0.signMessage({ message: 'Hello walletd ✓' }))
    expect(await recoverMessageAddress({ message: 'Hello walletd ✓', signature: result })).toBe(a0.address)
    expect(seen[0]!.details).toMatchObject({
      text: 'Hello walletd ✓',
      encoding: 'utf-8',
      account: a0.address,
    })
    expect(seen[0]!.warnings).toEqual([])
  })

  it('treats 0x + even-length hex as bytes (what viem and ethers send) and ignores a third param', async () => {
    const h = createSigningHarness()
    const { result } = await h.call('personal_sign', ['0x68656c6c6f', a1.address, 'password'])
    expect(result).toBe(await a1.signMessage({ message: 'hello' }))
  })

  it('signs odd-length or unprefixed hex as text, with a warning', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    expect((await h.call('personal_sign', ['deadbeef', a0.address])).result).toBe(
      await a0.signMessage({ message: 'deadbeef' }),
    )
    expect(seen[0]!.warnings).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/signed as the TEXT/) }),
    ])
  })

  it('shows hex when the bytes are not UTF-8, and warns on exactly 32 bytes and on RLP', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const hash = `0x${'ff'.repeat(32)}`
    await h.call('personal_sign', [hash, a0.address])
    expect(seen[0]!.details).toMatchObject({ hex: hash, bytes: 32 })
    expect(seen[0]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/exactly 32 bytes/)])
    // A legacy transaction RLP list: c9 + 9 bytes; and a typed (0x02) envelope.
    await h.call('personal_sign', ['0xc9808080808080808080', a0.address])
    expect(seen[1]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/RLP/)])
    await h.call('personal_sign', ['0x02c3010203', a0.address])
    expect(seen[2]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/RLP/)])
  })

  it('takes the account in either single case (EIP-55: no checksum), refuses a wrong mixed-case checksum', async () => {
    const h = createSigningHarness()
    const upper = `0x${a1.address.slice(2).toUpperCase()}`
    expect((await h.call('personal_sign', ['0x68656c6c6f', upper])).result).toBe(
      await a1.signMessage({ message: 'hello' }),
    )
    // [address, message] with the address in capitals is recognised too.
    expect((await h.call('personal_sign', [upper, '0x68656c6c6f'])).result).toBe(
      await a1.signMessage({ message: 'hello' }),
    )
    const flipped = a1.address.replace(/[a-fA-F]/, (c) =>
      c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase(),
    )
    expect((await h.call('personal_sign', ['0x68656c6c6f', flipped])).error?.code).toBe(-32602)
  })

  it('a grant revoked, or the account taken out of it, while the prompt is open: no signature (4100)', async () => {
    let h: ReturnType<typeof createSigningHarness>
    let change: (origin: string) => void = () => {}
    const { approver } = recordingApprover(async (request) => {
      change(request.origin)
      return { approved: true }
    })
    h = createSigningHarness({ approver })
    change = (origin) => h.sessions.grantAccounts(origin, [a1.address])
    const narrowed = await h.call('personal_sign', ['0x68656c6c6f', a0.address])
    expect(narrowed.result).toBeUndefined()
    expect(narrowed.error?.code).toBe(4100)
    change = (origin) => h.sessions.revoke(origin)
    const revoked = await h.call('personal_sign', ['0x68656c6c6f', a1.address])
    expect(revoked.result).toBeUndefined()
    expect(revoked.error?.code).toBe(4100)
  })

  it('accepts [address, message] like MetaMask, with a warning', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { result } = await h.call('personal_sign', [a0.address, 'swapped'])
    expect(result).toBe(await a0.signMessage({ message: 'swapped' }))
    expect(seen[0]!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/wrong order/)])
  })

  it('-32602 for bad params', async () => {
    const h = createSigningHarness()
    for (const params of [
      [],
      ['hi'],
      ['hi', 'not-an-address'],
      [1, a0.address],
      ['hi', a0.address, 'x', 'y'],
      { message: 'hi' },
    ]) {
      const { error } = await h.call('personal_sign', params)
      expect(error?.code, JSON.stringify(params)).toBe(-32602)
    }
    expect((await h.call('personal_sign', ['hi', '0xnope'])).error?.message).toMatch(
      /must provide an Ethereum address/,
    )
  })

  it('4100 for an account not granted to the origin, and for an origin without a grant', async () => {
    const h = createSigningHarness()
    expect((await h.call('personal_sign', ['hi', a2.address])).error?.code).toBe(4100)
    expect((await h.call('personal_sign', ['hi', a0.address], 'https://other.example')).error?.code).toBe(
      4100,
    )
  })

  it('4001 when the approver rejects, and when no approver is configured', async () => {
    const rejecting = createSigningHarness({
      approver: { name: 'scripted', decide: async () => ({ approved: false, reason: 'rejected' }) },
    })
    expect((await rejecting.call('personal_sign', ['hi', a0.address])).error).toMatchObject({
      code: 4001,
      data: { reason: 'rejected' },
    })
    const none = createSigningHarness({ approver: null })
    expect((await none.call('personal_sign', ['hi', a0.address])).error).toMatchObject({
      code: 4001,
      data: { reason: 'no-approver' },
    })
  })
})

describe('personal_ecRecover', () => {
  it('recovers the lowercase signer of text and of hex bytes, without approval or a grant', async () => {
    const h = createSigningHarness({ approver: null, grant: false })
    const sig = await a1.signMessage({ message: 'verify me' })
    expect((await h.call('personal_ecRecover', ['verify me', sig])).result).toBe(a1.address.toLowerCase())
    const sigHex = await a1.signMessage({ message: { raw: '0x0102' } })
    expect((await h.call('personal_ecRecover', ['0x0102', sigHex])).result).toBe(a1.address.toLowerCase())
  })

  it('-32602 for a malformed or invalid signature', async () => {
    const h = createSigningHarness()
    expect((await h.call('personal_ecRecover', ['hi', '0x1234'])).error?.code).toBe(-32602)
    expect((await h.call('personal_ecRecover', ['hi', `0x${'00'.repeat(65)}`])).error?.code).toBe(-32602)
    expect((await h.call('personal_ecRecover', ['hi'])).error?.code).toBe(-32602)
  })
})

describe('refused signing methods (resolveMethod)', () => {
  it('eth_sign → -32601 with MetaMask wording; wallet_sendTransaction → -32601; eth_signTransaction → -32004', async () => {
    const h = createSigningHarness()
    expect((await h.call('eth_sign', [a0.address, `0x${'11'.repeat(32)}`])).error).toEqual({
      code: -32601,
      message: 'The method "eth_sign" does not exist / is not available.',
    })
    expect((await h.call('wallet_sendTransaction', [{ from: a0.address }])).error?.code).toBe(-32601)
    expect((await h.call('eth_signTransaction', [{ from: a0.address }])).error?.code).toBe(-32004)
    expect((await h.call('eth_signTypedData', [[], a0.address])).error?.code).toBe(-32601)
  })
})

describe('personal_sign: Sign-In with Ethereum', () => {
  const message = (domain: string) =>
    `${domain} wants you to sign in with your Ethereum account:\n${a0.address}\n\nSign in\n\nURI: https://${domain}\nVersion: 1\nChain ID: 31337\nNonce: abcdef1234\nIssued At: 2026-01-01T00:00:00.000Z`

  it('a SIWE message for the origin is shown with its fields and signed after approval', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { result } = await h.call('personal_sign', [message('app.example'), a0.address])
    expect(result).toBe(await a0.signMessage({ message: message('app.example') }))
    expect(seen[0]!.details).toMatchObject({
      signInWithEthereum: { domain: 'app.example', address: a0.address },
    })
  })

  it('a SIWE message for another domain is refused without asking (4001 blocked)', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver })
    const { error } = await h.call('personal_sign', [message('evil.example'), a0.address])
    expect(error).toMatchObject({ code: 4001, data: { reason: 'blocked' } })
    expect(seen).toHaveLength(0)
  })
})
