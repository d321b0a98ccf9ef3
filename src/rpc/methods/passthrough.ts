import { z } from 'zod'
import { defineMethod } from '../defineMethod.js'
import type { MethodDefinition } from '../types.js'
import { upstreamFor } from '../upstreamFor.js'

/**
 * The explicit allowlist of read methods forwarded to the upstream of the origin's chain
 * (MetaMask's unrestricted methods that a node answers, see docs). Nothing else is ever forwarded:
 * no account, signing, dev-node (anvil_/evm_/hardhat_) or admin method.
 */
export const FORWARDED_METHODS = [
  'eth_blockNumber',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getBlockTransactionCountByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getBlockReceipts',
  'eth_call',
  'eth_estimateGas',
  'eth_createAccessList',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_blobBaseFee',
  'eth_getBalance',
  'eth_getCode',
  'eth_getProof',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_sendRawTransaction',
  'eth_getLogs',
  'eth_getUncleByBlockHashAndIndex',
  'eth_getUncleByBlockNumberAndIndex',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleCountByBlockNumber',
  'eth_syncing',
  'eth_protocolVersion',
  'net_listening',
  'net_peerCount',
  'web3_clientVersion',
  'web3_sha3',
] as const

/** Positional params only, at most 8 of them; the node validates their content. */
const forwardedParams = z.array(z.unknown()).max(8)

function forward(method: string): MethodDefinition {
  return defineMethod({
    method,
    params: forwardedParams,
    permission: 'none',
    cost: 'read',
    handler: ({ params, ctx, services }) =>
      upstreamFor(services, ctx).request(method, params, { signal: ctx.signal }),
  })
}

export const forwardedMethods: readonly MethodDefinition[] = FORWARDED_METHODS.map(forward)
