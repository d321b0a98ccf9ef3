/**
 * The DNS-rebinding guard: the Host header must be exactly `127.0.0.1:PORT`, `localhost:PORT` or
 * `[::1]:PORT` for the port walletd really bound. Compared whole, never by prefix.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host || host.length > 64) return false
  const h = host.toLowerCase()
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`
}
