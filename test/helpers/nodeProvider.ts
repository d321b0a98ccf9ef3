import { createWalletdProvider, type SocketLike, type WalletdProviderOptions } from 'walletd/provider'
import WebSocket from 'ws'

/** A walletd provider in Node: the provider's own code, over `ws` with the Origin header set. */
export function nodeProvider(
  options: Omit<WalletdProviderOptions, 'createSocket' | 'origin'> & { origin: string },
) {
  return createWalletdProvider({
    transports: ['websocket'],
    ...options,
    createSocket: (url, protocols) =>
      new WebSocket(url, protocols, { headers: { origin: options.origin } }) as unknown as SocketLike,
  })
}

/** Resolves with the next `event` of `provider`'s (with its arguments). */
export function nextEvent(provider: { once(e: string, l: (...a: any[]) => void): unknown }, event: string) {
  return new Promise<any[]>((resolve) => provider.once(event, (...args: any[]) => resolve(args)))
}
