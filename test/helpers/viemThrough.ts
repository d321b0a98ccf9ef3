import { custom, type EIP1193RequestFn } from 'viem'
import type { RpcClient } from './wsClient.js'

/** A viem `custom` transport that sends every request through a walletd WebSocket client. */
export function throughWalletd(client: RpcClient) {
  return custom({
    request: (async ({ method, params }: { method: string; params?: unknown }) => {
      const { result, error } = await client.call(method, params)
      if (error) throw Object.assign(new Error(error.message), error)
      return result
    }) as EIP1193RequestFn,
  })
}
