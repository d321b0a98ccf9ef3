import type { MethodDefinition } from '../types.js'

/** eth_subscribe / eth_unsubscribe and the filter methods, owned per connection. */
export const subscriptionMethods: readonly MethodDefinition[] = []
