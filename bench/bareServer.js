// Cold-start baseline: a bare node:http server (no walletd code, no framework) that answers every
// POST /rpc with a chain id. Prints {"port":N} once listening on 127.0.0.1 (port 0); stops on SIGTERM.
import { createServer } from 'node:http'

const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' })
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
