import { getAddress, isAddress } from 'viem'
import { InternalError } from '../../errors/rpc.js'
import { defineMethod } from '../defineMethod.js'
import {
  checkTypedDataChainId,
  parseTypedData,
  type TypedDataVersion,
  zSignTypedDataParams,
} from '../schemas/typedData.js'
import { signerFor } from '../signerFor.js'

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
    accounts: ([address]) => [address],
    approval: {
      kind: 'typedData',
      prepare: async ({ params: [address, typedData], ctx, services }) => {
        const parsed = parseTypedData(typedData, version, { now: services.now })
        checkTypedDataChainId(parsed.chainId, ctx.session.chainId)
        const { display } = parsed
        const domain = parsed.definition.domain ?? {}
        return {
          summary: `Sign typed data: ${display.primaryType.slice(0, 60)}`,
          details: {
            account: address,
            primaryType: display.primaryType,
            domain: display.domain,
            message: display.message,
          },
          facts: {
            kind: 'typedData',
            chainId: ctx.session.chainId,
            account: address,
            primaryType: display.primaryType,
            domain: {
              name: typeof domain.name === 'string' ? domain.name : undefined,
              version: typeof domain.version === 'string' ? domain.version : undefined,
              chainId: parsed.chainId,
              verifyingContract:
                typeof domain.verifyingContract === 'string' && isAddress(domain.verifyingContract)
                  ? getAddress(domain.verifyingContract)
                  : undefined,
            },
          },
          warnings: parsed.warnings,
          prepared: parsed.definition,
        }
      },
    },
    handler: async ({ params: [address], services, approved }) => {
      if (!approved) throw new InternalError({ details: `${method} ran without prepared typed data` })
      return signerFor(services, address).signTypedData(address, approved.prepared)
    },
  })
}
