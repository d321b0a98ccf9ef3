// Read path: the same requests to direct Anvil, the naive proxies and walletd, over WebSocket and
// HTTP, in interleaved rounds whose order rotates each round. Every figure is kept per round, so
// run.js can pair walletd with its baseline round by round.
import { connectHttpRpc } from './httpRpc.js'
import { rotated } from './stats.js'
import { connectRpc, inFlight, resultOf, sequential } from './wsRpc.js'

const ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
/** The three forwarded reads: a block number, a balance, a call. */
export const READ_METHODS = [
  ['eth_blockNumber', []],
  ['eth_getBalance', [ADDRESS, 'latest']],
  ['eth_call', [{ to: '0x0000000000000000000000000000000000000004', data: '0x1234' }, 'latest']],
]

/**
 * @param {{ ws: { name: string, url: string, protocols?: string[], headers?: Record<string,string> }[],
 *   http: { name: string, url: string, headers?: Record<string,string> }[],
 *   rounds: number, sequentialCount?: number, inFlightCount?: number, progress?: (s: string) => void }} options
 * @returns per target name, per measure, an array of per-round values: `${method}.p50Us`,
 *   `eth_chainId.p50Us`, `ws64.opsPerSec`, `ws8x16.opsPerSec` (WS targets), `http64.opsPerSec`
 *   (HTTP targets).
 */
export async function benchReadPath({
  ws,
  http,
  rounds,
  sequentialCount = 400,
  inFlightCount = 4000,
  progress = () => {},
}) {
  const per = {}
  const record = (name, key, value) => {
    per[name] ??= {}
    per[name][key] ??= []
    per[name][key].push(value)
  }
  const wsClients = new Map()
  const httpClients = new Map()
  try {
    for (const t of ws) {
      const open = () => connectRpc(t.url, { protocols: t.protocols, headers: t.headers })
      const one = await open()
      resultOf(await one.call('eth_blockNumber'), `${t.name} eth_blockNumber`)
      const eight = []
      for (let i = 0; i < 8; i++) eight.push(await open())
      wsClients.set(t.name, { one, eight })
    }
    for (const t of http) {
      const client = connectHttpRpc(t.url, { headers: t.headers, connections: 64 })
      resultOf(await client.call('eth_blockNumber'), `${t.name} eth_blockNumber`)
      httpClients.set(t.name, client)
    }
    const call = (client, name, method, params) => async () =>
      resultOf(await client.call(method, params), `${name} ${method}`)

    for (let round = 0; round < rounds; round++) {
      progress(`read path round ${round + 1}/${rounds}`)
      const warmup = round === 0 ? 200 : 30
      for (const [method, params] of READ_METHODS) {
        for (const t of rotated(ws, round)) {
          const { one } = wsClients.get(t.name)
          const r = await sequential(call(one, t.name, method, params), { count: sequentialCount, warmup })
          record(t.name, `${method}.p50Us`, r.p50Us)
        }
      }
      for (const t of rotated(ws, round)) {
        const { one } = wsClients.get(t.name)
        const r = await sequential(call(one, t.name, 'eth_chainId', []), { count: sequentialCount, warmup })
        record(t.name, 'eth_chainId.p50Us', r.p50Us)
      }
      for (const t of rotated(ws, round)) {
        const { one } = wsClients.get(t.name)
        const r = await inFlight(call(one, t.name, 'eth_blockNumber', []), {
          concurrency: 64,
          count: inFlightCount,
          warmup: 256,
        })
        record(t.name, 'ws64.opsPerSec', r.opsPerSec)
      }
      for (const t of rotated(ws, round)) {
        const { eight } = wsClients.get(t.name)
        const fns = eight.map((c) => call(c, t.name, 'eth_blockNumber', []))
        // 128 loops, 16 on each of the 8 sockets.
        const r = await inFlight((_, w) => fns[w % 8](), {
          concurrency: 128,
          count: inFlightCount,
          warmup: 256,
        })
        record(t.name, 'ws8x16.opsPerSec', r.opsPerSec)
      }
      for (const t of rotated(http, round)) {
        const client = httpClients.get(t.name)
        const r = await inFlight(call(client, t.name, 'eth_blockNumber', []), {
          concurrency: 64,
          count: Math.round(inFlightCount / 2),
          warmup: 256,
        })
        record(t.name, 'http64.opsPerSec', r.opsPerSec)
      }
    }
    return per
  } finally {
    for (const { one, eight } of wsClients.values()) await Promise.all([one, ...eight].map((c) => c.close()))
    for (const c of httpClients.values()) await c.close()
  }
}
