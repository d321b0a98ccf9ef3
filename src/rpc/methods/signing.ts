import type { MethodDefinition } from '../types.js'

/** Signing methods (personal_sign, eth_signTypedData_v4, eth_sendTransaction, …), one module each. */
export const signingMethods: readonly MethodDefinition[] = []
