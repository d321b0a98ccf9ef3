// Start-up: `walletd start` spawned as a process, spawn → first eth_chainId answer over HTTP,
// against a bare node:http server spawned the same way; and command → banner of `--dev`, through
// the README's command (`npm run dev`) and through the bin directly. Interleaved rounds, rotated.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createToken,
  daemonEnv,
  postRpc,
  spawnWalletd,
  startPortPrinter,
  stopChild,
  waitForRuntimeFile,
} from './processes.js'
import { rotated } from './stats.js'

const BARE_SERVER = fileURLToPath(new URL('./bareServer.js', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const WALLETD_BIN = join(ROOT, 'bin', 'walletd.js')

/** Retries eth_chainId every `everyMs` until it answers a result. */
async function firstChainId(port, token, { everyMs = 2, timeoutMs = 10_000 } = {}) {
  const started = performance.now()
  for (;;) {
    try {
      const { status, body } = await postRpc(port, token, 'eth_chainId')
      if (status === 200 && typeof body.result === 'string') return body.result
    } catch {}
    if (performance.now() - started > timeoutMs) throw new Error('no eth_chainId answer')
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * Per round: walletd (`start --port 0 --upstream <anvil ws>`, no keystore: no KDF) spawn → first
 * answer, and spawn → runtime file; a bare node:http server spawn → first answer; `node -e 0`
 * spawn → exit. Arrays of per-round ms.
 */
export async function benchColdStart({ cleanup, upstreamUrl, rounds, progress }) {
  const dir = cleanup.tempDir('walletd-bench-cold-')
  const env = daemonEnv(dir)
  const token = createToken(dir, env)
  const out = { walletdMs: [], listenMs: [], bareMs: [], nodeMs: [] }
  const steps = [
    async () => {
      const started = performance.now()
      const spawned = spawnWalletd({ dir, env, upstreamUrl, cleanup })
      try {
        const info = await waitForRuntimeFile(spawned)
        out.listenMs.push(performance.now() - started)
        const chainId = await firstChainId(info.port, token)
        out.walletdMs.push(performance.now() - started)
        if (chainId !== '0x7a69') throw new Error(`walletd answered chain id ${chainId}`)
      } finally {
        await stopChild(spawned.child)
      }
    },
    async () => {
      const started = performance.now()
      const bare = await startPortPrinter({ cleanup, script: BARE_SERVER })
      try {
        const { body } = await postRpc(bare.port, 'unused', 'eth_chainId')
        if (body.result !== '0x7a69') throw new Error('the bare server answered something else')
        out.bareMs.push(performance.now() - started)
      } finally {
        await bare.stop()
      }
    },
    async () => {
      const started = performance.now()
      const child = cleanup.child(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }))
      await new Promise((resolve) => child.once('exit', resolve))
      out.nodeMs.push(performance.now() - started)
    },
  ]
  for (let round = 0; round < rounds; round++) {
    progress?.(`cold start round ${round + 1}/${rounds}`)
    for (const step of rotated(steps, round)) await step()
  }
  return out
}

/**
 * Per round: command → banner of `npm run dev -- --port 0` (the README's quick start, in this
 * clone) and of `node bin/walletd.js start --dev --port 0`; each daemon is then stopped with
 * `walletd stop` (which also stops its Anvil). Arrays of per-round ms.
 */
export async function benchDevBanner({ cleanup, rounds, progress }) {
  const dir = cleanup.tempDir('walletd-bench-dev-')
  const env = { ...daemonEnv(dir), XDG_DATA_HOME: join(dir, 'data') }
  delete env.WALLETD_LOG__LEVEL
  const out = { npmMs: [], binMs: [] }
  const untilBanner = async (command, args, into) => {
    const started = performance.now()
    const child = cleanup.child(spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }))
    let text = ''
    let errText = ''
    child.stderr.on('data', (c) => {
      errText = (errText + c).slice(-4000)
    })
    try {
      await new Promise((resolve, reject) => {
        child.stdout.on('data', (c) => {
          text += c
          if (/walletd \S+ listening/.test(text)) resolve()
        })
        child.once('exit', (code) =>
          reject(new Error(`${command} exited (${code}) before its banner: ${errText}`)),
        )
      })
      into.push(performance.now() - started)
    } finally {
      spawnSync(process.execPath, [WALLETD_BIN, 'stop'], { env, stdio: 'ignore', timeout: 15_000 })
      await stopChild(child)
    }
  }
  const steps = [
    () => untilBanner('npm', ['run', '--silent', 'dev', '--', '--port', '0'], out.npmMs),
    () => untilBanner(process.execPath, [WALLETD_BIN, 'start', '--dev', '--port', '0'], out.binMs),
  ]
  for (let round = 0; round < rounds; round++) {
    progress?.(`--dev banner round ${round + 1}/${rounds}`)
    for (const step of rotated(steps, round)) await step()
  }
  return out
}

/** The bundle's compile time (bench/compileTime.js in a child with vm modules). */
export function benchCompileTime() {
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings',
      fileURLToPath(new URL('./compileTime.js', import.meta.url)),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  )
  if (r.status !== 0) throw new Error(`compileTime.js failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}
