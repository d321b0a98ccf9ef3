import type { MethodDefinition } from '../types.js'
import { ethGetFilterChanges } from './eth_getFilterChanges.js'
import { ethGetFilterLogs } from './eth_getFilterLogs.js'
import { ethNewBlockFilter } from './eth_newBlockFilter.js'
import { ethNewFilter } from './eth_newFilter.js'
import { ethNewPendingTransactionFilter } from './eth_newPendingTransactionFilter.js'
import { ethSubscribe } from './eth_subscribe.js'
import { ethUninstallFilter } from './eth_uninstallFilter.js'
import { ethUnsubscribe } from './eth_unsubscribe.js'

/** eth_subscribe / eth_unsubscribe and the filter methods, owned per connection (see createSubscriptionRegistry). */
export const subscriptionMethods: readonly MethodDefinition[] = [
  ethSubscribe,
  ethUnsubscribe,
  ethNewFilter,
  ethNewBlockFilter,
  ethNewPendingTransactionFilter,
  ethGetFilterChanges,
  ethGetFilterLogs,
  ethUninstallFilter,
]
