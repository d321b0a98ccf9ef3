import { getAddress, isAddress } from 'viem'
import { z } from 'zod'
import { RateTierSchema } from '../../config/schema.js'
import { APPROVAL_KINDS } from '../types.js'

const zAddress = z
  .string()
  .refine((a) => isAddress(a, { strict: false }), 'expected a 0x-prefixed 20-byte address')
  .transform((a) => getAddress(a))

/** A wei amount as a decimal string (JSON numbers lose precision above 2^53). */
const zWei = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'expected a decimal string of wei, e.g. "1000000000000000000"')
  .transform((s) => BigInt(s))

const zChainId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)

/** An amount of base units (wei, or a token's smallest unit) as a decimal string. */
const zUnits = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'expected a decimal string of base units, e.g. "1000000"')
  .transform((s) => BigInt(s))

/** `native`, or a token contract (its net change summed over every token id). */
const zAsset = z.union([z.literal('native'), zAddress])

/** One outflow cap per transaction (or batch). */
const zOutflowCap = z
  .object({
    token: zAsset.describe('"native" (wei, the fee included) or a token contract address (base units).'),
    amount: zUnits.describe('The most the sender may lose of it, net, in base units.'),
  })
  .strict()

/** One outflow cap summed over a period. */
const zPeriodOutflowCap = zOutflowCap
  .extend({
    periodSeconds: z
      .number()
      .int()
      .positive()
      .max(366 * 86_400),
  })
  .strict()

/**
 * One rule. Every condition given must hold for the rule to match; conditions left out match
 * anything, except `chainIds`, which every rule must name: a rule never approves on a chain it
 * does not name. The first matching rule decides; a matching `approve` rule whose caps the request
 * would exceed rejects it (the rule is named), rather than falling through.
 */
export const PolicyRuleSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$/,
        'expected 1–64 letters, digits, spaces, "_", ".", ":" or "-"',
      )
      .describe('Named in decisions, logs and the audit log.'),
    action: z.enum(['approve', 'reject']),
    chainIds: z
      .array(zChainId)
      .min(1)
      .describe('Required: the chains this rule applies to (the active chain; for a switch, both chains).'),
    origins: z
      .array(z.string().min(1).max(300))
      .min(1)
      .optional()
      .describe('Exact origins (`https://app.example`) or token sessions (`token:ci`); any when left out.'),
    kinds: z
      .array(z.enum(APPROVAL_KINDS as [string, ...string[]]))
      .min(1)
      .optional(),
    methods: z.array(z.string().min(1).max(128)).min(1).optional(),
    accounts: z
      .array(zAddress)
      .min(1)
      .optional()
      .describe(
        'The accounts a request may act for; for a connect request, the accounts an approval grants (else the default choice).',
      ),
    to: z
      .array(z.union([zAddress, z.literal('create')]))
      .min(1)
      .optional()
      .describe('Transaction recipients; "create" allows contract creation.'),
    selectors: z
      .array(
        z
          .string()
          .regex(/^0x[0-9a-fA-F]{8}$/, 'expected a 4-byte selector such as "0xa9059cbb"')
          .transform((s) => s.toLowerCase()),
      )
      .min(1)
      .optional()
      .describe('Function selectors a transaction may call ("0x" data is a plain transfer and has none).'),
    maxValueWei: zWei.optional().describe('Most native value one transaction may send.'),
    spend: z
      .object({
        maxWei: zWei.describe(
          'Most native value plus maximum fees, summed over the period, that this rule approves.',
        ),
        periodSeconds: z
          .number()
          .int()
          .positive()
          .max(366 * 86_400),
      })
      .strict()
      .optional(),
    maxOutflow: z
      .array(zOutflowCap)
      .min(1)
      .max(64)
      .optional()
      .describe(
        "Caps on the sender's simulated net outflow per transaction or batch; one that could not be simulated is rejected.",
      ),
    maxOutflowPerPeriod: z
      .array(zPeriodOutflowCap)
      .min(1)
      .max(64)
      .optional()
      .describe(
        "Caps on the sender's simulated net outflow summed over what this rule approved within the period.",
      ),
    allowApprovals: z
      .boolean()
      .optional()
      .describe(
        'false (default for approve rules): refuse a transaction, batch or signature that grants a token allowance or an operator approval (decoded, or seen in the simulation).',
      ),
    typedData: z
      .object({
        primaryTypes: z.array(z.string().min(1).max(256)).min(1).optional(),
        domainNames: z.array(z.string().max(256)).min(1).optional(),
        verifyingContracts: z.array(zAddress).min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()

export const PolicySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    description: z.string().max(1000).optional(),
    rateLimit: RateTierSchema.optional().describe(
      'The rate limit for requests a rule of this policy may approve (instead of the prompt and sign budgets, which are made for a person).',
    ),
    rules: z.array(PolicyRuleSchema).min(1).max(1000),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Set<string>()
    policy.rules.forEach((rule, i) => {
      if (seen.has(rule.name))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${rule.name}"`,
        })
      seen.add(rule.name)
    })
  })

export type PolicyRule = z.infer<typeof PolicyRuleSchema>
export type Policy = z.infer<typeof PolicySchema>

/** The JSON schema for editors (config/walletd-policy.schema.json is generated from this). */
export function toPolicyJsonSchema(): unknown {
  return z.toJSONSchema(PolicySchema, {
    io: 'input',
    // Stryker disable next-line StringLiteral: nothing in the policy's input is unrepresentable, so zod never reads it
    unrepresentable: 'any',
  })
}
