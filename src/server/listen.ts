import type { Server } from 'node:http'
import { PortUnavailableError } from '../errors/startup.js'

/**
 * Binds `port`, else the next ports up to `lastPort` (bind-and-retry: never probe-then-bind).
 * `strict` fails instead of moving. Port 0 binds any free port. Resolves with the bound port.
 */
export async function listenWithRetry(
  server: Server,
  { host, port, lastPort, strict }: { host: string; port: number; lastPort: number; strict: boolean },
): Promise<number> {
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
        server.listen({ host, port: p, exclusive: true })
      })
      const addr = server.address()
      if (addr && typeof addr === 'object') return addr.port
      return p
    } catch (err) {
      lastError = err as NodeJS.ErrnoException
      if (lastError.code !== 'EADDRINUSE' && lastError.code !== 'EACCES') break
    }
  }
  const range = end === port ? `port ${port}` : `ports ${port}–${end}`
  throw new PortUnavailableError(
    `Cannot listen on ${host}: ${range} ${lastError?.code === 'EADDRINUSE' ? 'in use' : `unavailable (${lastError?.code ?? 'error'})`}.${strict ? ' Drop --strict-port to move to the next free port, or pick another with --port.' : ' Pick another with --port.'}`,
    { cause: lastError },
  )
}
