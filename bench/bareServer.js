// Cold-start baseline: a bare fastify + @fastify/websocket server (no walletd code) that answers
// POST /rpc. Prints {"port":N} once listening on 127.0.0.1 (port 0); stops on SIGTERM.
import websocket from '@fastify/websocket'
import Fastify from 'fastify'

const app = Fastify()
await app.register(websocket)
app.post('/rpc', async () => ({ jsonrpc: '2.0', id: 1, result: '0x7a69' }))
app.get('/rpc', { websocket: true }, (socket) => socket.close())
await app.listen({ host: '127.0.0.1', port: 0 })
console.log(JSON.stringify({ port: app.server.address().port }))
process.once('SIGTERM', () => app.close().then(() => process.exit(0)))
