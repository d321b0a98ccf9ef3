import type { Address, Hex } from 'viem'
import { z } from 'zod'
import { type JsonSafe, toJsonSafe } from '../util/toJsonSafe.js'
import {
  APPROVAL_KINDS,
  type ApprovalFacts,
  type ApprovalRequest,
  DECISION_REASONS,
  type Decided,
} from './types.js'

/**
 * An approval request as it crosses the admin socket: the request with every bigint as a decimal
 * string (toJsonSafe). `approvalRequestFromJson` turns one back into an ApprovalRequest (the CLI
 * renders and answers it with the same code as the daemon's own terminal).
 */
export function approvalRequestToJson(request: ApprovalRequest): JsonSafe {
  return toJsonSafe(request)
}

/** A decision as it crosses the admin socket (no bigints; for symmetry and one place to look). */
export function decidedToJson(decided: Decided): JsonSafe {
  return toJsonSafe(decided)
}

const zAddr = z.string().regex(/^0x[0-9a-fA-F]{40}$/) as unknown as z.ZodType<Address>
const zHexStr = z.string().regex(/^0x[0-9a-fA-F]*$/) as unknown as z.ZodType<Hex>
const zBig = z
  .string()
  .regex(/^-?\d{1,80}$/)
  .transform((s) => BigInt(s))
const zDecoded = z.object({
  standard: z.string(),
  name: z.string(),
  counterparty: zAddr.nullish().transform((v) => v ?? undefined),
  amount: zBig.nullish().transform((v) => v ?? undefined),
  grantsApproval: z.boolean(),
  unlimited: z.boolean(),
})
const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined)

const zFacts = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('connect'), chainId: z.number(), accounts: z.array(zAddr) }),
  z.object({
    kind: z.literal('message'),
    chainId: z.number(),
    account: zAddr,
    bytes: zHexStr,
    text: z.string().nullable(),
    siwe: z.object({ domain: z.string(), uri: opt(z.string()) }).nullable(),
  }),
  z.object({
    kind: z.literal('typedData'),
    chainId: z.number(),
    account: zAddr,
    primaryType: z.string(),
    domain: z.object({
      name: opt(z.string()),
      version: opt(z.string()),
      chainId: opt(z.number()),
      verifyingContract: opt(zAddr),
    }),
    decoded: opt(zDecoded),
  }),
  z.object({
    kind: z.literal('transaction'),
    chainId: z.number(),
    account: zAddr,
    to: zAddr.nullable(),
    value: zBig,
    data: zHexStr,
    selector: zHexStr.nullable(),
    gas: zBig,
    maxFeeWei: zBig,
    decoded: opt(zDecoded),
  }),
  z.object({
    kind: z.literal('chain'),
    chainId: z.number(),
    action: z.enum(['switch', 'add']),
    targetChainId: z.number(),
    rpcHost: opt(z.string()),
  }),
  z.object({
    kind: z.literal('asset'),
    chainId: z.number(),
    standard: z.string(),
    address: zAddr,
    symbol: z.string(),
    decimals: z.number(),
  }),
])

const zRequest = z.object({
  id: z.string().min(1).max(128),
  origin: z.string(),
  method: z.string(),
  kind: z.enum(APPROVAL_KINDS as [string, ...string[]]),
  chainId: z.number(),
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
  facts: zFacts,
  warnings: z.array(z.object({ level: z.enum(['critical', 'warning']), message: z.string() })),
  answer: z.enum(['yes', 'recipient']),
  choices: opt(z.object({ accounts: z.array(zAddr), defaults: z.array(zAddr) })),
  createdAt: z.number(),
  expiresAt: z.number(),
})

const zDecided = z.union([
  z.object({
    approved: z.literal(true),
    by: z.string(),
    asked: z.boolean(),
    accounts: opt(z.array(zAddr)),
    rule: opt(z.string()),
  }),
  z.object({
    approved: z.literal(false),
    by: z.string(),
    asked: z.boolean(),
    reason: z.enum(DECISION_REASONS as [string, ...string[]]),
    rule: opt(z.string()),
    note: opt(z.string()),
  }),
])

/** Parses a request sent by the daemon; throws (zod) on anything that is not one. */
export function approvalRequestFromJson(value: unknown): ApprovalRequest {
  const r = zRequest.parse(value)
  return Object.freeze({
    ...r,
    kind: r.kind as ApprovalRequest['kind'],
    facts: r.facts as ApprovalFacts,
  }) as ApprovalRequest
}

/** Parses a decision sent by the daemon. */
export function decidedFromJson(value: unknown): Decided {
  return zDecided.parse(value) as Decided
}
