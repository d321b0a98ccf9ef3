// The naive forwarding proxy: accept WebSocket clients, parse each JSON-RPC request, give it a
// fresh id, forward it over one upstream WebSocket, put the client's id back on the answer.
// Nothing else (no guard, validation, limits, metrics, logs, batches): the floor of what any
// forwarder costs. Run on its own (`node bench/naiveProxy.js <upstream ws url>`: prints
// {"port":N} once listening on 127.0.0.1, port 0) so it gets its own process, as walletd does.
import { once } from 'node:events'
import WebSocket, { WebSocketServer } from 'ws'

/** @param {{ upstreamUrl: string, port?: number }} options */
export async function startNaiveProxy({ upstreamUrl, port = 0 }) {
  const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false })
  await once(upstream, 'open')
  let nextId = 1
  const pending = new Map()
  upstream.on('message', (data) => {
    const msg = JSON.parse(String(data))
    const from = pending.get(msg.id)
    if (from === undefined) return
    pending.delete(msg.id)
    msg.id = from.id
    if (from.socket.readyState === WebSocket.OPEN) from.socket.send(JSON.stringify(msg))
  })

  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      let msg
      try {
        msg = JSON.parse(String(data))
      } catch {
        return
      }
      const id = nextId++
      pending.set(id, { socket, id: msg.id })
      msg.id = id
      upstream.send(JSON.stringify(msg))
    })
  })
  await once(server, 'listening')
  return {
    port: server.address().port,
    close: async () => {
      for (const client of server.clients) client.terminate()
      await new Promise((resolve) => server.close(resolve))
      upstream.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const upstreamUrl = process.argv[2]
  if (!upstreamUrl?.startsWith('ws://127.0.0.1:')) {
    console.error('usage: node bench/naiveProxy.js ws://127.0.0.1:<port>')
    process.exit(2)
  }
  const proxy = await startNaiveProxy({ upstreamUrl })
  console.log(JSON.stringify({ port: proxy.port }))
  const stop = () => proxy.close().then(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
