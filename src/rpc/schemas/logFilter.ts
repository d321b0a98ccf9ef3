import { z } from 'zod'
import { zAddress } from './primitives.js'

/** A 32-byte hash (block hash, topic). */
export const zHash32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hex hash')

/** A block number (hex quantity) or tag, passed to the node as given. */
export const zBlockTag = z.union([
  z.enum(['latest', 'earliest', 'pending', 'safe', 'finalized']),
  z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/, 'expected a block tag or a hex block number'),
])

/** One address or a list of them (OR), checksummed. */
export const zAddressFilter = z.union([zAddress, z.array(zAddress).max(1000)])

/** Up to 4 topic positions; each null (any), a topic, or a list of topics (OR). */
export const zTopics = z.array(z.union([z.null(), zHash32, z.array(zHash32).max(100)])).max(4)

/** The filter object of `eth_subscribe('logs', …)`. */
export const zLogSubscriptionFilter = z
  .object({ address: zAddressFilter.optional(), topics: zTopics.optional() })
  .strict()

/** The filter object of `eth_newFilter` / `eth_getLogs`: a block range or one block hash, not both. */
export const zLogFilter = z
  .object({
    fromBlock: zBlockTag.optional(),
    toBlock: zBlockTag.optional(),
    blockHash: zHash32.optional(),
    address: zAddressFilter.optional(),
    topics: zTopics.optional(),
  })
  .strict()
  .refine((f) => f.blockHash === undefined || (f.fromBlock === undefined && f.toBlock === undefined), {
    message: 'blockHash cannot be combined with fromBlock or toBlock',
  })

/** A subscription or filter id (walletd's are 0x + 32 hex; anything hex-like of sane length is looked up). */
export const zSubscriptionId = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a hex id')
