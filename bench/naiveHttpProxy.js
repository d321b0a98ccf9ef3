// The naive HTTP forwarder: a node:http server that reads each POST body, parses it, forwards it
// over an undici keep-alive Pool to the upstream's HTTP endpoint and sends the answer back.
// Nothing else (no auth, validation, limits, metrics, logs): the floor of an HTTP forwarder. Run
// on its own (`node bench/naiveHttpProxy.js <upstream http url>`: prints {"port":N} once listening
// on 127.0.0.1, port 0) so it gets its own process, as walletd does.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { Pool } from 'undici'

/** @param {{ upstreamUrl: string, port?: number, connections?: number }} options */
export async function startNaiveHttpProxy({ upstreamUrl, port = 0, connections = 64 }) {
  const pool = new Pool(upstreamUrl, { connections })
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      try {
        const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        const answer = await pool.request({
          path: '/',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(msg),
        })
        const text = await answer.body.text()
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(text)
      } catch {
        res.writeHead(502)
        res.end()
      }
    })
  })
  server.keepAliveTimeout = 5000
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: server.address().port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await pool.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const upstreamUrl = process.argv[2]
  if (!upstreamUrl?.startsWith('http://127.0.0.1:')) {
    console.error('usage: node bench/naiveHttpProxy.js http://127.0.0.1:<port>')
    process.exit(2)
  }
  const proxy = await startNaiveHttpProxy({ upstreamUrl })
  console.log(JSON.stringify({ port: proxy.port }))
  const stop = () => proxy.close().then(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
