/** How the provider reaches walletd: a WebSocket, HTTP with an event stream, or the host's bridge. */
export type TransportName = 'websocket' | 'http' | 'bridge'

export type LinkHandlers = {
  /** A message from walletd (a response or a push), after the link is open. */
  message(text: string): void
  /** The open link ended (a WebSocket close code, or 1006 when there is none). */
  closed(code: number, reason: string): void
}

/** An open, authenticated connection to walletd. */
export type Link = {
  readonly transport: TransportName
  send(text: string): void
  close(): void
}

/** Opens a link: resolves once authenticated, rejects with a LinkError. */
export type OpenLink = (handlers: LinkHandlers) => Promise<Link>

/** The subset of the WebSocket API the provider uses (the browser's, or `ws` in Node). */
export type SocketLike = {
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onerror: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
}

export type CreateSocket = (url: string, protocols: string[]) => SocketLike

/** Tells whether the page's Content-Security-Policy blocked a connection to a URL. */
export type CspWatch = { blocked(url: string): boolean }
