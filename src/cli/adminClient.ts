import { createConnection, type Socket } from 'node:net'
import type { WalletdPaths } from '../config/paths.js'
import {
  AdminSocketError,
  ApprovalRefusedError,
  NotFoundError,
  NotRunningError,
  UsageError,
} from '../errors/startup.js'
import { isProcessAlive, readRuntimeFile } from '../server/runtimeFiles.js'

export type AdminNotification = { method: string; params: unknown }

export type AdminClient = {
  /** Calls an admin method; a JSON-RPC error becomes the CLI error for it (WALLETD_ERR_*). */
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>
  onNotification(fn: (n: AdminNotification) => void): void
  /** Resolves when the daemon closes the connection (it stopped). */
  readonly closed: Promise<void>
  close(): void
}

/**
 * Connects to the running daemon's admin socket (newline-delimited JSON-RPC). No daemon:
 * NotRunningError (exit 4); a daemon whose socket does not answer: AdminSocketError.
 */
export async function connectAdmin(paths: WalletdPaths): Promise<AdminClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ path: paths.adminSocket })
    s.once('connect', () => {
      s.off('error', reject)
      resolve(s)
    })
    s.once('error', (err: NodeJS.ErrnoException) => {
      const info = readRuntimeFile(paths.runtimeFile)
      if (!info || !isProcessAlive(info.pid)) {
        reject(new NotRunningError(`walletd is not running (data dir ${paths.dataDir}).`))
        return
      }
      reject(
        new AdminSocketError(
          `walletd runs (pid ${info.pid}) but its admin socket ${paths.adminSocket} does not answer (${err.code ?? err.message}).`,
        ),
      )
    })
  })
  socket.setEncoding('utf8')
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  const listeners: Array<(n: AdminNotification) => void> = []
  let rest = ''
  socket.on('data', (chunk: string) => {
    rest += chunk
    for (;;) {
      const nl = rest.indexOf('\n')
      if (nl === -1) break
      const line = rest.slice(0, nl)
      rest = rest.slice(nl + 1)
      let msg: { id?: number | null; method?: string; params?: unknown; result?: unknown; error?: RpcErr }
      try {
        msg = JSON.parse(line)
      } catch {
        continue
      }
      if (msg.method && msg.id === undefined) {
        for (const fn of listeners) fn({ method: msg.method, params: msg.params })
        continue
      }
      const waiter = typeof msg.id === 'number' ? pending.get(msg.id) : undefined
      if (!waiter) continue
      pending.delete(msg.id as number)
      if (msg.error) waiter.reject(toCliError(msg.error))
      else waiter.resolve(msg.result)
    }
  })
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      for (const w of pending.values())
        w.reject(new AdminSocketError('walletd closed the admin connection before answering.'))
      pending.clear()
      resolve()
    })
  })
  socket.on('error', () => {})
  return {
    closed,
    call<T>(method: string, params?: unknown[]): Promise<T> {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        socket.write(
          `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`,
        )
      })
    },
    onNotification(fn) {
      listeners.push(fn)
    },
    close() {
      socket.end()
    },
  }
}

type RpcErr = { code: number; message: string; data?: unknown }

/** An admin method's JSON-RPC error as the CLI's error (and exit code) for it. */
export function toCliError(error: RpcErr): Error {
  const message = String(error.message).replace(/^Invalid parameters: /, '')
  switch (error.code) {
    case -32001:
      return new NotFoundError(message)
    case -32602:
      return new UsageError(message)
    case -32004:
      return new ApprovalRefusedError(message)
    default:
      return new AdminSocketError(`walletd answered ${error.code}: ${message}`)
  }
}

/** Opens a connection, makes one call, closes. */
export async function adminCall<T = unknown>(
  paths: WalletdPaths,
  method: string,
  params?: unknown[],
): Promise<T> {
  const client = await connectAdmin(paths)
  try {
    return await client.call<T>(method, params)
  } finally {
    client.close()
  }
}
