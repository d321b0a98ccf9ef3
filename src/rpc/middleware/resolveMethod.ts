import {
  MethodNotFoundError,
  MethodNotSupportedError,
  type RpcError,
  UnsupportedMethodError,
} from '../../errors/rpc.js'
import type { MethodDefinition, RequestContext, ResolvedContext } from '../types.js'

const notAvailable = (method: string) => `The method "${method}" does not exist / is not available.`

/**
 * Methods walletd knows and refuses on purpose, with the error MetaMask gives for each, so
 * clients' fallbacks (viem's wallet_sendTransaction retry) behave. Never forwarded.
 */
const REFUSED = new Map<string, (method: string) => RpcError>([
  ['eth_sign', (m) => new MethodNotFoundError({ message: notAvailable(m) })],
  ['wallet_sendTransaction', (m) => new MethodNotFoundError({ message: notAvailable(m) })],
  [
    'eth_signTransaction',
    () =>
      new MethodNotSupportedError({
        message: 'eth_signTransaction is not supported: walletd does not sign transactions it does not send.',
      }),
  ],
  ['eth_getEncryptionPublicKey', (m) => new MethodNotFoundError({ message: notAvailable(m) })],
  ['eth_decrypt', (m) => new MethodNotFoundError({ message: notAvailable(m) })],
])

/** Namespaces that never reach an upstream (dev-node, node-admin and key-holding methods). */
const REFUSED_PREFIXES = [
  'anvil_',
  'hardhat_',
  'evm_',
  'debug_',
  'admin_',
  'personal_',
  'miner_',
  'txpool_',
  'ganache_',
  'engine_',
  'clique_',
  'les_',
  'parity_',
  'trace_',
  'ots_',
  'erigon_',
  'eth_signTypedData',
]

/**
 * Looks the method up in the table (a Map: `__proto__`, `constructor` find nothing). Fail closed:
 * refused names and namespaces → -32601; anything else unknown → 4200.
 */
export function createMethodResolver(
  methods: ReadonlyMap<string, MethodDefinition>,
): (ctx: RequestContext) => ResolvedContext {
  return function resolveMethod(ctx) {
    const name = ctx.request.method
    const method = methods.get(name)
    if (method) {
      ;(ctx as { method?: MethodDefinition }).method = method
      return ctx as ResolvedContext
    }
    const refuse = REFUSED.get(name)
    if (refuse) throw refuse(name)
    if (REFUSED_PREFIXES.some((p) => name.startsWith(p)))
      throw new MethodNotFoundError({ message: notAvailable(name) })
    throw new UnsupportedMethodError({ message: notAvailable(name) })
  }
}
