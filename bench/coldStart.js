// Cold start (issue 2): `walletd start --port 0 --upstream <anvil>` spawned as a process, timed
// from spawn to the first successful eth_chainId answer over HTTP; then its idle RSS.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  createToken,
  daemonEnv,
  postRpc,
  rssMiB,
  spawnWalletd,
  stopChild,
  waitForRuntimeFile,
} from './processes.js'
import { median } from './wsRpc.js'

const BARE_SERVER = fileURLToPath(new URL('./bareServer.js', import.meta.url))

/** Retries eth_chainId every `everyMs` until it answers a result (the daemon may still be closing in on ready). */
async function firstChainId(port, token, { everyMs = 2, timeoutMs = 10_000 } = {}) {
  const started = performance.now()
  for (;;) {
    try {
      const { status, body } = await postRpc(port, token, 'eth_chainId')
      if (status === 200 && typeof body.result === 'string') return body.result
    } catch {}
    if (performance.now() - started > timeoutMs) throw new Error('walletd did not answer eth_chainId')
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * `runs` cold starts in one data dir (the token is created before timing starts). Each run: spawn →
 * runtime file (polled every 2 ms) → first eth_chainId result over HTTP. After the last run, a few
 * requests, an idle second, then VmRSS of the daemon process.
 */
export async function benchColdStart({ cleanup, upstreamUrl, runs = 5 }) {
  const dir = cleanup.tempDir('walletd-bench-cold-')
  const env = daemonEnv(dir)
  const token = createToken(dir, env)
  const times = []
  const listenTimes = []
  let idleRssMiB = Number.NaN
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    const spawned = spawnWalletd({ dir, env, upstreamUrl, cleanup })
    try {
      const info = await waitForRuntimeFile(spawned)
      listenTimes.push(performance.now() - started)
      const chainId = await firstChainId(info.port, token)
      times.push(performance.now() - started)
      if (chainId !== '0x7a69') throw new Error(`walletd answered chain id ${chainId}, not 0x7a69`)
      if (run === runs - 1) {
        if (info.pid !== spawned.child.pid) throw new Error('the runtime file names another process')
        for (let i = 0; i < 10; i++) {
          await postRpc(info.port, token, 'eth_chainId')
          await postRpc(info.port, token, 'eth_blockNumber')
        }
        await new Promise((r) => setTimeout(r, 1000))
        idleRssMiB = rssMiB(info.pid)
      }
    } finally {
      await stopChild(spawned.child)
    }
  }
  return { runs: times, listenRuns: listenTimes, medianMs: median(times), idleRssMiB }
}

/**
 * Baselines for the cold start, same machine, same moment: `node -e 0` (spawn → exit) and a bare
 * fastify + @fastify/websocket server (spawn → first POST /rpc answer). Median ms of `runs`.
 */
export async function benchStartBaselines({ cleanup, runs = 5 }) {
  const nodeRuns = []
  const bareRuns = []
  for (let run = 0; run < runs; run++) {
    let started = performance.now()
    const bare = cleanup.child(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }))
    await new Promise((resolve) => bare.once('exit', resolve))
    nodeRuns.push(performance.now() - started)

    started = performance.now()
    const child = cleanup.child(
      spawn(process.execPath, [BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] }),
    )
    try {
      const port = await new Promise((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk) => {
          out += chunk
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).port)
        })
        child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)))
      })
      const { body } = await postRpc(port, 'unused', 'eth_chainId')
      if (body.result !== '0x7a69') throw new Error('bare server answered something else')
      bareRuns.push(performance.now() - started)
    } finally {
      await stopChild(child)
    }
  }
  return { nodeMs: median(nodeRuns), bareServerMs: median(bareRuns) }
}
