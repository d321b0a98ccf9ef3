// The flooding origin of the flood bench, in a worker thread (its own core, so the well-behaved
// client in the main thread is not slowed by our own flood loop). Each connection keeps
// `concurrency` requests outstanding: every answer, matched or not, sends the next one (a frame
// refused before parsing is answered with id null, so answers are counted, not matched).
// Bounded: stops at `durationMs`, after `maxRequests`, or when the main thread posts 'stop'.
// Posts 'started', then its counts.
import { once } from 'node:events'
import { parentPort, workerData } from 'node:worker_threads'
import WebSocket from 'ws'

const { url, token, origin, connections, concurrency, durationMs, maxRequests } = workerData
let stopped = false
parentPort.on('message', (msg) => {
  if (msg === 'stop') stopped = true
})

const counts = { sent: 0, answered: 0, ok: 0, refused: 0, otherErrors: 0, closed: 0, refusedBy: {} }
const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })
const sockets = []
for (let i = 0; i < connections; i++) {
  const socket = new WebSocket(url, ['walletd.v1', `walletd.token.${token}`], {
    headers: { origin },
    perMessageDeflate: false,
  })
  await once(socket, 'open')
  sockets.push(socket)
}
parentPort.postMessage({ type: 'started' })

const started = performance.now()
const running = () => !stopped && counts.sent < maxRequests && performance.now() - started < durationMs
await Promise.all(
  sockets.map(
    (socket) =>
      new Promise((resolve) => {
        let outstanding = 0
        const send = () => {
          counts.sent++
          outstanding++
          socket.send(frame)
        }
        socket.on('message', (data) => {
          const msg = JSON.parse(String(data))
          // walletd's own pushes (walletd_state on open) answer no request.
          if (msg.method !== undefined && msg.id === undefined) return
          outstanding--
          counts.answered++
          if (!msg.error) counts.ok++
          else if (msg.error.code === -32005) {
            counts.refused++
            const limit = msg.error.data?.limit ?? 'unknown'
            counts.refusedBy[limit] = (counts.refusedBy[limit] ?? 0) + 1
          } else counts.otherErrors++
          if (running()) send()
          else if (outstanding === 0) resolve()
        })
        socket.once('close', () => {
          counts.closed++
          resolve()
        })
        // Answers still outstanding at the end (e.g. dropped by a closing daemon) do not hold us.
        const deadline = setTimeout(resolve, durationMs + 2000)
        deadline.unref()
        for (let i = 0; i < concurrency; i++) send()
      }),
  ),
)
const elapsedMs = performance.now() - started
for (const socket of sockets) socket.terminate()
parentPort.postMessage({ type: 'done', counts, elapsedMs })
