// Memory per connection: a walletd process (its connection caps raised to let them in), idle after
// a few requests, then `count` authenticated WebSockets from one origin, each having answered one
// request and then idle; the process's RSS (/proc) and V8 heap (its own /metrics) before and after.
import { request } from 'node:http'
import { rssMiB, startWalletdProcess } from './processes.js'
import { connectRpc, resultOf } from './wsRpc.js'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** `walletd_nodejs_heap_size_used_bytes` from the daemon's /metrics. */
function heapUsedBytes(port) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', headers: { host: `127.0.0.1:${port}` } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        text += c
      })
      res.on('end', () => {
        const m = /^walletd_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)
        m ? resolve(Number(m[1])) : reject(new Error('no heap metric'))
      })
    })
      .on('error', reject)
      .end()
  })
}

export async function benchIdleSockets({ cleanup, upstreamUrl, count = 1000, nodeOptions = '' }) {
  const caps = String(count + 100)
  const daemon = await startWalletdProcess({
    cleanup,
    upstreamUrl,
    prefix: 'walletd-bench-idle-',
    env: {
      // '' = node's defaults; the npm scripts start walletd with NPM_SCRIPT_NODE_OPTIONS.
      NODE_OPTIONS: nodeOptions,
      WALLETD_CONNECTIONS__MAX_TOTAL: caps,
      WALLETD_CONNECTIONS__MAX_PER_ORIGIN: caps,
      WALLETD_CONNECTIONS__MAX_PER_DOMAIN: caps,
      WALLETD_CONNECTIONS__MAX_PER_TOKEN: caps,
    },
  })
  const open = []
  const connect = () =>
    connectRpc(daemon.wsUrl, {
      protocols: ['walletd.v1', `walletd.token.${daemon.token}`],
      headers: { origin: 'https://idle.bench.example' },
    })
  try {
    // Warm: a few connections come and go, a few requests; then idle.
    for (let i = 0; i < 20; i++) {
      const c = await connect()
      resultOf(await c.call('eth_chainId'), 'eth_chainId')
      resultOf(await c.call('eth_blockNumber'), 'eth_blockNumber')
      await c.close()
    }
    await sleep(1500)
    const before = { rssMiB: rssMiB(daemon.pid), heapBytes: await heapUsedBytes(daemon.port) }
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, connect))
      await Promise.all(batch.map(async (c) => resultOf(await c.call('eth_chainId'), 'eth_chainId')))
      open.push(...batch)
    }
    await sleep(2000)
    const after = { rssMiB: rssMiB(daemon.pid), heapBytes: await heapUsedBytes(daemon.port) }
    return {
      count,
      before,
      after,
      rssAboveIdleMiB: after.rssMiB - before.rssMiB,
      rssPerConnectionKiB: ((after.rssMiB - before.rssMiB) * 1024) / count,
      heapPerConnectionKiB: (after.heapBytes - before.heapBytes) / 1024 / count,
    }
  } finally {
    for (let i = 0; i < open.length; i += 100) await Promise.all(open.slice(i, i + 100).map((c) => c.close()))
    await daemon.stop()
  }
}
