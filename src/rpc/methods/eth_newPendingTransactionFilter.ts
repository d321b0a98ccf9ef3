import { zNoParams } from '../schemas/primitives.js'
import { defineFilterInstall } from './defineFilterInstall.js'

/** Installs a pending-transaction filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewPendingTransactionFilter = defineFilterInstall(
  'eth_newPendingTransactionFilter',
  zNoParams,
)
