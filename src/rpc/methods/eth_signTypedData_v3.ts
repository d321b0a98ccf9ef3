import { defineSignTypedData } from './signTypedData.js'

/** EIP-712 v3: like v4 without arrays. */
export const ethSignTypedDataV3 = defineSignTypedData('eth_signTypedData_v3', 'v3')
