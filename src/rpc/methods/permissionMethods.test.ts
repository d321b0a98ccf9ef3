import { describe, expect, it } from 'vitest'
import {
  accounts,
  CHAIN_ID,
  createSigningHarness,
  ORIGIN,
  recordingApprover,
} from '../../../test/helpers/signingFakes.js'
import { connectableAccounts, permissionsOf } from '../permissions.js'
import type { Services } from '../services.js'

const [a0, a1, a2] = accounts.map((a) => a.address) as [`0x${string}`, `0x${string}`, `0x${string}`]
const NOW = 1_700_000_000_000
const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase())

const permission = (origin: string, granted: readonly string[]) => [
  {
    id: `${origin}#eth_accounts`,
    parentCapability: 'eth_accounts',
    invoker: origin,
    date: NOW,
    caveats: [{ type: 'restrictReturnedAccounts', value: lower(granted) }],
  },
]

describe('eth_requestAccounts', () => {
  it('asks once: shows the unlocked accounts as choices, grants the chosen ones, returns them lowercase', async () => {
    const { approver, seen } = recordingApprover(async () => ({ approved: true, accounts: [a1] }))
    const h = createSigningHarness({ approver, grant: false })
    expect((await h.call('eth_requestAccounts')).result).toEqual(lower([a1]))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      kind: 'connect',
      summary: 'Connect this site to your account(s)',
      details: { permission: 'eth_accounts: see the chosen addresses and ask for signatures' },
      facts: { kind: 'connect', chainId: CHAIN_ID, accounts: [a0, a1, a2] },
      warnings: [],
      choices: { accounts: [a0, a1, a2], defaults: [a0] },
    })
    expect(h.sessions.isPermitted(ORIGIN, a1)).toBe(true)
    expect(h.sessions.isPermitted(ORIGIN, a0)).toBe(false)
    // Granted: no second prompt, the same accounts.
    expect((await h.call('eth_requestAccounts')).result).toEqual(lower([a1]))
    expect(seen).toHaveLength(1)
  })

  it('an approval that names no accounts grants the defaults (the first account)', async () => {
    const h = createSigningHarness({ grant: false })
    expect((await h.call('eth_requestAccounts')).result).toEqual(lower([a0]))
  })

  it('4001 on a rejection, and nothing is granted', async () => {
    const { approver } = recordingApprover(async () => ({ approved: false, reason: 'rejected' }))
    const h = createSigningHarness({ approver, grant: false })
    expect((await h.call('eth_requestAccounts')).error?.code).toBe(4001)
    expect(h.sessions.peek(ORIGIN)?.grantedAt ?? null).toBeNull()
  })

  it('after a revoke the prompt offers the last grant again, minus accounts no longer unlocked', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver, grant: false })
    const stale = '0x000000000000000000000000000000000000dEaD'
    h.sessions.grantAccounts(ORIGIN, [a2.toLowerCase() as `0x${string}`, stale, a1])
    h.sessions.revoke(ORIGIN)
    expect((await h.call('eth_requestAccounts')).result).toEqual(lower([a2, a1]))
    expect(seen[0]!.choices?.defaults).toEqual([a2, a1])
    // Only stale accounts remembered: the first unlocked account is the default.
    h.sessions.grantAccounts(ORIGIN, [stale])
    h.sessions.revoke(ORIGIN)
    await h.call('eth_requestAccounts')
    expect(seen[1]!.choices?.defaults).toEqual([a0])
  })

  it('4100 "locked" while no account is unlocked, before any prompt', async () => {
    const { approver, seen } = recordingApprover()
    const h = createSigningHarness({ approver, grant: false })
    ;(h.services as { signer: unknown }).signer = { accounts: () => [] }
    const { error } = await h.call('eth_requestAccounts')
    expect(error).toMatchObject({ code: 4100, data: { reason: 'locked' } })
    expect(error?.message).toMatch(/walletd is locked/)
    expect(seen).toHaveLength(0)
  })
})

describe('wallet_requestPermissions / wallet_getPermissions / wallet_revokePermissions', () => {
  it('requestPermissions always asks, grants the chosen accounts and returns the EIP-2255 permission', async () => {
    const { approver, seen } = recordingApprover(async () => ({ approved: true, accounts: [a2] }))
    const h = createSigningHarness({ approver })
    const { result } = await h.call('wallet_requestPermissions', [{ eth_accounts: {} }])
    expect(seen).toHaveLength(1)
    expect(result).toEqual(permission(ORIGIN, [a2]))
    expect((await h.call('wallet_getPermissions')).result).toEqual(permission(ORIGIN, [a2]))
    expect((await h.call('eth_accounts')).result).toEqual(lower([a2]))
  })

  it('requestPermissions rejected: 4001, the earlier grant stays', async () => {
    const { approver } = recordingApprover(async () => ({ approved: false, reason: 'rejected' }))
    const h = createSigningHarness({ approver })
    expect((await h.call('wallet_requestPermissions', [{ eth_accounts: {} }])).error?.code).toBe(4001)
    expect((await h.call('wallet_getPermissions')).result).toEqual(permission(ORIGIN, [a0, a1]))
  })

  it('getPermissions: [] before a grant and while locked', async () => {
    const h = createSigningHarness({ grant: false })
    expect((await h.call('wallet_getPermissions')).result).toEqual([])
    h.sessions.grantAccounts(ORIGIN, [a0])
    expect((await h.call('wallet_getPermissions')).result).toEqual(permission(ORIGIN, [a0]))
    ;(h.services as { signer: unknown }).signer = { accounts: () => [] }
    expect((await h.call('wallet_getPermissions')).result).toEqual([])
  })

  it('revokePermissions empties the grant and returns null; other params are -32602', async () => {
    const h = createSigningHarness()
    const events: unknown[] = []
    h.sessions.onChange((c) => events.push(c))
    expect(await h.call('wallet_revokePermissions', [{ eth_accounts: {} }])).toEqual({
      result: null,
      error: undefined,
    })
    expect(events).toEqual([{ kind: 'accountsChanged', origin: ORIGIN, accounts: [] }])
    expect((await h.call('wallet_getPermissions')).result).toEqual([])
    expect((await h.call('eth_accounts')).result).toEqual([])
    for (const params of [[], [{}], [{ eth_accounts: {}, other: {} }], [{ other: {} }]]) {
      expect((await h.call('wallet_revokePermissions', params)).error?.code, JSON.stringify(params)).toBe(
        -32602,
      )
    }
  })
})

describe('permissionsOf / connectableAccounts', () => {
  it('no permission for no session or an ungranted one', () => {
    expect(permissionsOf(undefined)).toEqual([])
    expect(
      permissionsOf({
        origin: ORIGIN,
        accounts: [],
        chainId: 1,
        createdAt: 0,
        lastUsedAt: 0,
        grantedAt: null,
      }),
    ).toEqual([])
  })

  it('connectableAccounts refuses with 4100 when no account is unlocked (or there is no signer)', () => {
    for (const signer of [undefined, { accounts: () => [] }]) {
      expect(() => connectableAccounts({ signer } as unknown as Services)).toThrow(
        expect.objectContaining({ code: 4100, message: 'walletd has no unlocked account to connect.' }),
      )
    }
  })
})
