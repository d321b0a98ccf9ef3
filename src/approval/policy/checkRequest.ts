import { getAddress, isAddress } from 'viem'
import { z } from 'zod'
import { PolicyInvalidError } from '../../errors/startup.js'
import { APPROVAL_KINDS, type ApprovalFacts, type ApprovalKind, type ApprovalRequest } from '../types.js'

const zAddress = z
  .string()
  .refine((a) => isAddress(a, { strict: false }), 'expected an address')
  .transform((a) => getAddress(a))
const zBig = z
  .union([z.string().regex(/^\d{1,78}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v))
const zHex = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})*$/)
  .transform((h) => h.toLowerCase() as `0x${string}`)

const zSigned = z.union([z.string().regex(/^-?\d{1,78}$/), z.number().int()]).transform((v) => BigInt(v))

/** Simulated changes as `walletd policy check` takes them (the daemon's facts.simulation, amounts as strings). */
const zSimulation = z
  .object({
    status: z.enum(['success', 'reverted', 'not-simulated']).default('success'),
    by: z.enum(['eth_simulateV1', 'debug_traceCall', 'eth_call']).nullable().default('eth_simulateV1'),
    nativeChange: zSigned.nullable().default(0n),
    tokenChanges: z
      .array(
        z.object({
          token: zAddress,
          standard: z.enum(['erc20', 'erc721', 'erc1155']).default('erc20'),
          tokenId: zBig.nullable().default(null),
          change: zSigned,
        }),
      )
      .max(1000)
      .default([]),
    approvals: z
      .array(z.object({ token: zAddress, spender: zAddress, amount: zBig.nullable().default(null) }))
      .max(1000)
      .default([]),
  })
  .transform((sim) => ({
    ...sim,
    changesKnown: sim.status !== 'not-simulated' && sim.by !== 'eth_call' && sim.by !== null,
    fee: null,
    gasUsed: null,
    calls: [],
    tokenChanges: sim.tokenChanges.map((c) => ({ ...c, symbol: null, decimals: null })),
    approvals: sim.approvals.map((a) => ({
      ...a,
      standard: 'erc20' as const,
      tokenId: null,
      forAll: false,
      unlimited: a.amount === null || a.amount >= 2n ** 255n,
      deadline: null,
      symbol: null,
      decimals: null,
    })),
    contractsCreated: [],
    revert: null,
    newRecipients: [],
    notes: [],
  }))

const zFacts = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('connect'), chainId: z.number().int(), accounts: z.array(zAddress).min(1) }),
  z.object({
    kind: z.literal('message'),
    chainId: z.number().int(),
    account: zAddress,
    text: z.string().nullable().default(null),
    bytes: zHex.default('0x'),
    siwe: z.object({ domain: z.string(), uri: z.string().optional() }).nullable().default(null),
  }),
  z.object({
    kind: z.literal('typedData'),
    chainId: z.number().int(),
    account: zAddress,
    primaryType: z.string(),
    domain: z
      .object({
        name: z.string().optional(),
        version: z.string().optional(),
        chainId: z.number().int().optional(),
        verifyingContract: zAddress.optional(),
      })
      .default({}),
  }),
  z.object({
    kind: z.literal('transaction'),
    chainId: z.number().int(),
    account: zAddress,
    to: zAddress.nullable().default(null),
    value: zBig.default(0n),
    data: zHex.default('0x'),
    gas: zBig.default(21_000n),
    maxFeeWei: zBig.default(0n),
    simulation: zSimulation.optional(),
  }),
  z.object({
    kind: z.literal('chain'),
    chainId: z.number().int(),
    action: z.enum(['switch', 'add']).default('switch'),
    targetChainId: z.number().int(),
  }),
])

const zCheck = z.object({
  origin: z.string().min(1),
  method: z.string().min(1).default('(any)'),
  facts: zFacts,
})

/**
 * A request for `walletd policy check FILE --request JSON`: `{ origin, method?, facts }` with
 * facts as the daemon builds them (amounts as decimal strings). Becomes a frozen ApprovalRequest.
 */
export function requestFromJson(json: unknown): ApprovalRequest {
  const parsed = zCheck.safeParse(json)
  if (!parsed.success)
    throw new PolicyInvalidError('The --request JSON is not a request walletd can check.', {
      metaMessages: parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    })
  const { origin, method, facts: raw } = parsed.data
  const facts = (
    raw.kind === 'transaction'
      ? { ...raw, selector: raw.data.length >= 10 ? raw.data.slice(0, 10) : null }
      : raw
  ) as ApprovalFacts
  const kind = facts.kind as ApprovalKind
  // Stryker disable next-line ConditionalExpression,StringLiteral: every kind the schema takes is an approval kind; a guard for one added there only
  if (!APPROVAL_KINDS.includes(kind)) throw new PolicyInvalidError(`Unknown kind ${kind}.`)
  return Object.freeze({
    id: 'check',
    origin,
    method,
    kind,
    chainId: facts.chainId,
    summary: '',
    details: {},
    facts,
    warnings: [],
    answer: 'yes',
    choices:
      facts.kind === 'connect' ? { accounts: facts.accounts, defaults: [facts.accounts[0]!] } : undefined,
    createdAt: 0,
    expiresAt: 0,
  })
}
