import type { Address } from 'viem'
import { UnauthorizedError } from '../errors/rpc.js'
import type { Signer } from '../signer/types.js'
import type { Services } from './services.js'

/** The signer holding `address`; 4100 when no signer is unlocked or it does not hold the account. */
export function signerFor(services: Pick<Services, 'signer'>, address: Address): Signer {
  const signer = services.signer
  if (!signer?.hasAccount(address)) {
    throw new UnauthorizedError({ message: `The account ${address} is not unlocked in walletd.` })
  }
  return signer
}
