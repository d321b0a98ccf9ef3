import type { TypedDataDefinition } from 'viem'
import { InternalError } from '../../errors/rpc.js'
import type { Services } from '../../services.js'
import { signerFor } from '../../signer/signerFor.js'
import { defineMethod } from '../defineMethod.js'
import {
  checkTypedDataChainId,
  parseTypedData,
  type TypedDataVersion,
  zSignTypedDataParams,
} from '../schemas/typedData.js'

/**
 * `eth_signTypedData_v4` / `_v3`: `[address, typedData]`. Bounded parsing, domain.chainId must be
 * the origin's active chain (-32603, MetaMask's text), and the prompt renders only hashed fields.
 */
export function defineSignTypedData(
  method: 'eth_signTypedData_v4' | 'eth_signTypedData_v3',
  version: TypedDataVersion,
) {
  return defineMethod({
    method,
    params: zSignTypedDataParams,
    permission: 'accounts',
    cost: 'sign',
    approval: 'always',
    accounts: ([address]) => [address],
    prepare: async ({ params: [address, typedData], ctx, services }) => {
      const parsed = parseTypedData(typedData, version, { now: services.now })
      const activeChainId = services.sessions.get(ctx.conn.origin).chainId
      checkTypedDataChainId(parsed.chainId, activeChainId)
      const { display } = parsed
      const name = typeof display.domain.name === 'string' ? display.domain.name : 'an unnamed domain'
      return {
        summary: `Sign ${display.primaryType} for ${name} with ${address} (${ctx.conn.origin})`,
        details: {
          account: address,
          primaryType: display.primaryType,
          domain: display.domain,
          message: display.message,
        },
        warnings: parsed.warnings,
        prepared: parsed.definition,
      }
    },
    handler: async ({ params: [address], services, prepared }) => {
      if (!prepared) throw new InternalError({ details: `${method} ran without prepared typed data` })
      return signerFor(services as Services, address).signTypedData(address, prepared as TypedDataDefinition)
    },
  })
}
