import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

export type RecordedCall = { method: string; params: unknown }

export type RecordingUpstream = {
  /** ws://127.0.0.1:PORT */
  url: string
  /** Every request the node received, in order. */
  calls: RecordedCall[]
  /** The head block number it answers to eth_blockNumber. */
  head: bigint
  close(): Promise<void>
}

/**
 * A JSON-RPC node over WebSocket that records every request it receives: answers `eth_chainId`
 * (31337 unless told otherwise), `eth_blockNumber` (`head`) and `eth_new*Filter` (an id), `null` to
 * anything else. Tests use it
 * to prove what reaches an upstream, and what never does.
 */
export async function startRecordingUpstream(chainId = 31337): Promise<RecordingUpstream> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  const state: RecordingUpstream = {
    url: '',
    calls: [],
    head: 0x100n,
    close: () =>
      new Promise((r) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        http.close(() => r())
      }),
  }
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id: number; method: string; params?: unknown }
      state.calls.push({ method: msg.method, params: msg.params })
      const result =
        msg.method === 'eth_chainId'
          ? `0x${chainId.toString(16)}`
          : msg.method === 'eth_blockNumber'
            ? `0x${state.head.toString(16)}`
            : msg.method.startsWith('eth_new')
              ? '0xf1' // a filter id
              : null
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }))
    }),
  )
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  state.url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`
  return state
}
