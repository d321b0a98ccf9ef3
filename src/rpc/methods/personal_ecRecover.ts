import { recoverMessageAddress } from 'viem/utils'
import { InvalidParamsError } from '../../errors/rpc.js'
import { defineMethod } from '../defineMethod.js'
import { messageBytes, zEcRecoverParams } from '../schemas/message.js'

/** `[message, signature]` → the lowercase address that signed the EIP-191 message. Local, no key involved. */
export const personalEcRecover = defineMethod({
  method: 'personal_ecRecover',
  params: zEcRecoverParams,
  permission: 'none',
  cost: 'read',
  handler: async ({ params: [message, signature] }) => {
    try {
      const address = await recoverMessageAddress({ message: { raw: messageBytes(message) }, signature })
      return address.toLowerCase()
    } catch {
      throw new InvalidParamsError({
        message: 'Invalid parameters for personal_ecRecover: the signature is not valid.',
      })
    }
  },
})
