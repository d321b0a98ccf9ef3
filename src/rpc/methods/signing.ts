import type { MethodDefinition } from '../types.js'
import { ethSendTransaction } from './eth_sendTransaction.js'
import { ethSignTypedDataV3 } from './eth_signTypedData_v3.js'
import { ethSignTypedDataV4 } from './eth_signTypedData_v4.js'
import { personalEcRecover } from './personal_ecRecover.js'
import { personalSign } from './personal_sign.js'

/** Signing methods, one module each. eth_sign, eth_signTransaction, wallet_sendTransaction are refused in resolveMethod. */
export const signingMethods: readonly MethodDefinition[] = [
  personalSign,
  personalEcRecover,
  ethSignTypedDataV4,
  ethSignTypedDataV3,
  ethSendTransaction,
]
