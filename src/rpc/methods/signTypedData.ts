import { getAddress, isAddress } from 'viem'
import { InternalError } from '../../errors/rpc.js'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import { hasCode } from '../../upstream/hasCode.js'
import { permitAllowances, permitFacts } from '../decode/callFacts.js'
import {
  type DecodedPermit,
  describePermit,
  type PermitTemplate,
  permitTokens,
} from '../decode/decodePermit.js'
import { oneLine } from '../decode/decodeRevert.js'
import { displayDetails } from '../decode/displayDetails.js'
import { fitSummary } from '../decode/fitSummary.js'
import { defineMethod } from '../defineMethod.js'
import {
  checkTypedDataChainId,
  parseTypedData,
  type TypedDataVersion,
  zSignTypedDataParams,
} from '../schemas/typedData.js'
import type { Services } from '../services.js'
import { signerFor } from '../signerFor.js'
import type { RequestContext } from '../types.js'
import { upstreamFor } from '../upstreamFor.js'

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
        const name = typeof display.domain.name === 'string' ? display.domain.name : 'an unnamed domain'
        const read = parsed.permit ? await readPermit(parsed.permit, { services, ctx }) : null
        const permit = read?.permit ?? null
        const domain = parsed.definition.domain ?? {}
        return {
          summary:
            permit?.summary ??
            fitSummary(() => `Sign ${oneLine(display.primaryType, 40)} for ${oneLine(name, 40)}`),
          details: {
            account: address,
            primaryType: display.primaryType,
            domain: display.domain,
            message: display.message,
            ...(permit ? { permit: displayDetails(permit.display) } : {}),
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
            decoded: permit ? permitFacts(permit) : undefined,
            allowances: read ? permitAllowances(read.permit, read.tokens) : undefined,
          },
          warnings: [...parsed.warnings, ...(permit?.warnings ?? [])],
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

/** Tokens of one permit whose metadata is read from the chain. */
export const MAX_PERMIT_TOKEN_READS = 8

/**
 * Describes a recognised permit with what the chain says: each token's decimals and symbol
 * (cached) and whether the spender has code. Reads that fail are tolerated (raw units shown).
 */
async function readPermit(
  template: PermitTemplate,
  { services, ctx }: { services: Services; ctx: RequestContext },
): Promise<{ permit: DecodedPermit; tokens: ReadonlyMap<string, TokenInfo> }> {
  const tokens = new Map<string, TokenInfo>()
  let spenderHasCode: boolean | null = null
  try {
    const upstream = upstreamFor(services, ctx)
    const options = { signal: ctx.signal }
    const [infos, code] = await Promise.all([
      Promise.all(
        // Distinct tokens, at most MAX_PERMIT_TOKEN_READS (a batch could name thousands): the rest in raw units.
        [...new Map(permitTokens(template).map((t) => [t.toLowerCase(), t])).values()]
          .slice(0, MAX_PERMIT_TOKEN_READS)
          .map((t) => services.tokenInfo.get(upstream, t, options)),
      ),
      hasCode(upstream, template.spender, options),
    ])
    for (const info of infos) tokens.set(info.address.toLowerCase(), info)
    spenderHasCode = code
  } catch {
    // No upstream for the chain: the permit is described without token metadata.
  }
  return { permit: describePermit(template, { tokens, spenderHasCode, now: services.now }), tokens }
}
