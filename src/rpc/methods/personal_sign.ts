import { InternalError } from '../../errors/rpc.js'
import { checkSiwe } from '../checks/checkSiwe.js'
import { defineMethod } from '../defineMethod.js'
import { describeMessage, messageWarnings, zPersonalSignParams } from '../schemas/message.js'
import { signerFor } from '../signerFor.js'

/**
 * EIP-191 personal message signing after approval. `[message, address]`: 0x-hex of whole bytes
 * is signed as bytes, anything else as UTF-8 text; the prompt shows the text (or the hex when it
 * is not UTF-8) in full. 4100 for an account the origin was not given.
 */
export const personalSign = defineMethod({
  method: 'personal_sign',
  params: zPersonalSignParams,
  permission: 'accounts',
  cost: 'sign',
  accounts: (p) => [p.address],
  approval: {
    kind: 'message',
    prepare: async ({ params, ctx, services }) => {
      const { text, hex, bytes } = describeMessage(params.raw)
      const warnings = messageWarnings(params.message, params.raw)
      const siwe =
        text === null
          ? null
          : checkSiwe({
              text,
              origin: ctx.conn.origin,
              address: params.address,
              chainId: ctx.session.chainId,
              now: services.now(),
              dev: services.config.dev,
            })
      if (siwe) warnings.push(...siwe.warnings)
      if (params.swapped) {
        warnings.push({
          level: 'warning',
          message:
            'The dApp sent the parameters in the wrong order ([address, message]); check the message carefully.',
        })
      }
      const siweFields = siwe?.details as { domain?: string; uri?: string } | undefined
      return {
        // No domain here: a host is never shown cut short; the SIWE details carry it in full.
        summary: siweFields?.domain
          ? `Sign in with Ethereum (a login message, ${bytes} bytes)`
          : `Sign a ${text === null ? 'binary' : 'text'} message (${bytes} bytes)`,
        details: {
          account: params.address,
          ...(text === null ? { hex } : { text }),
          encoding: text === null ? 'hex (not valid UTF-8)' : 'utf-8',
          bytes,
          ...(siwe ? { signInWithEthereum: siwe.details } : {}),
        },
        facts: {
          kind: 'message',
          chainId: ctx.session.chainId,
          account: params.address,
          bytes: params.raw,
          text,
          siwe: siweFields?.domain ? { domain: siweFields.domain, uri: siweFields.uri } : null,
        },
        warnings,
        prepared: params.raw,
      }
    },
  },
  handler: async ({ params, services, approved }) => {
    // Sign exactly what was approved.
    if (!approved) throw new InternalError({ details: 'personal_sign ran without an approval' })
    return signerFor(services, params.address).signMessage(params.address, { raw: approved.prepared })
  },
})
