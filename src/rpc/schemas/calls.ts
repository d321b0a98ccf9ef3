import { z } from 'zod'
import { zAddress, zChainIdHex } from './primitives.js'
import { zData, zTxQuantity } from './transaction.js'

/**
 * EIP-5792 capabilities: a record of capability name → its parameters; `optional: true` marks
 * one the wallet may ignore. Bounded (names, count).
 */
export const zCapabilities = z
  .record(z.string().min(1).max(128), z.unknown())
  .refine((c) => Object.keys(c).length <= 32, 'at most 32 capabilities')

/** One call: `to` (absent: contract creation), `data`, `value`, `capabilities`. Unknown keys are refused. */
export const zBatchCall = z
  .object({
    to: zAddress.optional(),
    data: zData.optional(),
    value: zTxQuantity.optional(),
    capabilities: zCapabilities.optional(),
  })
  .strict()

/**
 * `wallet_sendCalls` params (EIP-5792, version 2.0.0): `[{ version, id?, from?, chainId,
 * atomicRequired, calls, capabilities? }]`. The version, the capabilities, the chain and the
 * number of calls are checked by the method (each has its own error code).
 */
export const zSendCallsParams = z.tuple([
  z
    .object({
      version: z.string().max(32),
      // EIP-5792: at most 4096 bytes.
      id: z
        .string()
        .min(1)
        .refine((id) => Buffer.byteLength(id, 'utf8') <= 4096, 'at most 4096 bytes')
        .optional(),
      from: zAddress.optional(),
      chainId: zChainIdHex,
      atomicRequired: z.boolean(),
      calls: z.array(zBatchCall).min(1),
      capabilities: zCapabilities.optional(),
    })
    .strict(),
])

export type SendCallsParams = z.infer<typeof zSendCallsParams>[0]

/** A batch id as `wallet_getCallsStatus` / `wallet_showCallsStatus` take it. */
export const zBatchIdParams = z.tuple([
  z
    .string()
    .min(1)
    .refine((id) => Buffer.byteLength(id, 'utf8') <= 4096, 'at most 4096 bytes'),
])
