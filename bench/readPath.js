// Read path (issue 2): the same requests over WebSocket to direct Anvil, the naive proxy and
// walletd, in interleaved rounds; each figure is the median of the rounds.
import { connectRpc, inFlight, median, resultOf, sequential } from './wsRpc.js'

/**
 * @param {{ targets: { name: string, url: string, protocols?: string[], headers?: Record<string,string> }[],
 *   rounds?: number, sequentialCount?: number, inFlightCount?: number, concurrency?: number,
 *   localCount?: number }} options
 * @returns per target: blockNumber { p50Us, p99Us }, blockNumber64 { opsPerSec }, chainId and
 *   netVersion { p50Us, p99Us }.
 */
export async function benchReadPath({
  targets,
  rounds = 3,
  sequentialCount = 1500,
  inFlightCount = 6000,
  concurrency = 64,
  localCount = 1000,
}) {
  const clients = new Map()
  try {
    for (const t of targets) {
      const client = await connectRpc(t.url, { protocols: t.protocols, headers: t.headers })
      resultOf(await client.call('eth_blockNumber'), `${t.name} eth_blockNumber`)
      clients.set(t.name, client)
    }
    const per = Object.fromEntries(
      targets.map((t) => [t.name, { blockNumber: [], blockNumber64: [], chainId: [], netVersion: [] }]),
    )
    const call = (client, name, method) => async () =>
      resultOf(await client.call(method), `${name} ${method}`)
    for (let round = 0; round < rounds; round++) {
      const warmup = round === 0 ? 200 : 20
      for (const t of targets) {
        const client = clients.get(t.name)
        const r = per[t.name]
        r.blockNumber.push(
          await sequential(call(client, t.name, 'eth_blockNumber'), { count: sequentialCount, warmup }),
        )
        r.blockNumber64.push(
          await inFlight(call(client, t.name, 'eth_blockNumber'), {
            concurrency,
            count: inFlightCount,
            warmup: concurrency * 2,
          }),
        )
        r.chainId.push(await sequential(call(client, t.name, 'eth_chainId'), { count: localCount, warmup }))
        r.netVersion.push(
          await sequential(call(client, t.name, 'net_version'), { count: localCount, warmup }),
        )
      }
    }
    const summarise = (runs) => ({
      p50Us: median(runs.map((x) => x.p50Us)),
      p99Us: median(runs.map((x) => x.p99Us)),
      opsPerSec: median(runs.map((x) => x.opsPerSec)),
      n: runs.reduce((s, x) => s + x.n, 0),
    })
    return Object.fromEntries(
      targets.map((t) => {
        const r = per[t.name]
        return [
          t.name,
          {
            blockNumber: summarise(r.blockNumber),
            blockNumber64: summarise(r.blockNumber64),
            chainId: summarise(r.chainId),
            netVersion: summarise(r.netVersion),
          },
        ]
      }),
    )
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()))
  }
}
