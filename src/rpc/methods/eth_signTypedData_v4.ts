import { defineSignTypedData } from './signTypedData.js'

/** EIP-712 v4 (arrays allowed; recursive types refused). */
export const ethSignTypedDataV4 = defineSignTypedData('eth_signTypedData_v4', 'v4')
