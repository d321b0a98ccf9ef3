import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PortUnavailableError } from '../errors/startup.js'

/**
 * Binds `port`, else the next ports up to `lastPort` (bind-and-retry: never probe-then-bind).
 * `strict` fails instead of moving. Port 0 binds any free port. Resolves with the bound port.
 */
export async function listenWithRetry(
  server: Server,
  { host, port, lastPort, strict }: { host: string; port: number; lastPort: number; strict: boolean },
): Promise<number> {
  // Stryker disable next-line ConditionalExpression: binding port 0 never fails with EADDRINUSE, so its range is never walked
  const end = strict || port === 0 ? port : Math.max(port, lastPort)
  let lastError: NodeJS.ErrnoException | undefined
  for (let p = port; p <= end; p++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => {
          server.off('listening', onListening)
          reject(err)
        }
        const onListening = () => {
          server.off('error', onError)
          resolve()
        }
        server.once('error', onError)
        server.once('listening', onListening)
        // Stryker disable next-line BooleanLiteral: exclusive only matters in a cluster worker
        server.listen({ host, port: p, exclusive: true })
      })
      // A TCP server's address is always an object once listening.
      return (server.address() as AddressInfo).port
    } catch (err) {
      lastError = err as NodeJS.ErrnoException
      if (lastError.code !== 'EADDRINUSE' && lastError.code !== 'EACCES') break
    }
  }
  // The loop ran at least once (end ≥ port): there is a last error.
  const failure = lastError as NodeJS.ErrnoException
  const range = end === port ? `port ${port}` : `ports ${port}–${end}`
  throw new PortUnavailableError(
    `Cannot listen on ${host}: ${range} ${failure.code === 'EADDRINUSE' ? 'in use' : `unavailable (${failure.code})`}.${strict ? ' Drop --strict-port to move to the next free port, or pick another with --port.' : ' Pick another with --port.'}`,
    { cause: failure },
  )
}
