import WebSocket from 'ws'

export type RpcClient = {
  socket: WebSocket
  /** Sends a request and resolves with the whole response object ({result} or {error}). */
  call(
    method: string,
    params?: unknown,
  ): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>
  /** Sends a raw frame and resolves with the next non-notification message, parsed. */
  raw(frame: string | Buffer, options?: { binary?: boolean }): Promise<unknown>
  /** Server pushes (subscriptions, events) received so far. */
  notifications: Array<{ method: string; params: unknown }>
  waitForNotification(
    pred: (n: { method: string; params: unknown }) => boolean,
    timeoutMs?: number,
  ): Promise<{ method: string; params: unknown }>
  close(): Promise<void>
  closed: Promise<{ code: number; reason: string }>
}

export type ConnectOptions = {
  token?: string
  origin?: string
  via?: 'bearer' | 'protocol'
  headers?: Record<string, string>
}

/** Opens a WebSocket to walletd like a host-injected provider (subprotocol token) or a Node client (Bearer). */
export function connect(url: string, opts: ConnectOptions = {}): Promise<RpcClient> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  if (opts.origin) headers.origin = opts.origin
  const protocols = ['walletd.v1']
  if (opts.token && opts.via !== 'bearer') protocols.push(`walletd.token.${opts.token}`)
  if (opts.token && opts.via === 'bearer') headers.authorization = `Bearer ${opts.token}`
  const socket = new WebSocket(url, protocols, { headers, perMessageDeflate: false })
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
    )
    socket.once('error', reject)
    socket.once('open', () => {
      socket.off('error', reject)
      socket.on('error', () => {})
      let nextId = 1
      const pending = new Map<number | string, (msg: unknown) => void>()
      const rawWaiters: Array<(msg: unknown) => void> = []
      const notifications: Array<{ method: string; params: unknown }> = []
      const notifWaiters = new Set<() => void>()
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        socket.once('close', (code, reason) => r({ code, reason: String(reason) })),
      )
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data)) as {
          id?: number | string | null
          method?: string
          params?: unknown
        }
        if (!Array.isArray(msg) && msg.method && msg.id === undefined) {
          notifications.push({ method: msg.method, params: msg.params })
          for (const w of notifWaiters) w()
          return
        }
        const id = Array.isArray(msg) ? undefined : msg.id
        if (id !== undefined && id !== null && pending.has(id)) {
          pending.get(id)!(msg)
          pending.delete(id)
          return
        }
        rawWaiters.shift()?.(msg)
      })
      resolve({
        socket,
        notifications,
        closed,
        call(method, params) {
          const id = nextId++
          return new Promise((res) => {
            pending.set(id, res as (m: unknown) => void)
            socket.send(
              JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
            )
          })
        },
        raw(frame, options) {
          return new Promise((res) => {
            rawWaiters.push(res)
            socket.send(frame, { binary: options?.binary ?? false })
          })
        },
        waitForNotification(pred, timeoutMs = 15_000) {
          return new Promise((res, rej) => {
            const check = () => {
              const found = notifications.find(pred)
              if (found) {
                notifWaiters.delete(check)
                clearTimeout(timer)
                res(found)
              }
            }
            const timer = setTimeout(() => {
              notifWaiters.delete(check)
              rej(new Error('notification did not arrive'))
            }, timeoutMs)
            notifWaiters.add(check)
            check()
          })
        },
        async close() {
          if (socket.readyState === socket.CLOSED) return
          socket.close()
          await closed
        },
      })
    })
  })
}
