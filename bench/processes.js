// Processes and temporary directories the bench starts, and their cleanup (also on error or
// Ctrl-C): walletd daemons as separate processes, the naive proxy, temp data dirs.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const WALLETD_BIN = fileURLToPath(new URL('../bin/walletd.js', import.meta.url))
const NAIVE_PROXY = fileURLToPath(new URL('./naiveProxy.js', import.meta.url))
const NAIVE_HTTP_PROXY = fileURLToPath(new URL('./naiveHttpProxy.js', import.meta.url))

/**
 * Cleanup steps run in reverse order by `run()`. Child processes and temp dirs are also killed
 * and removed synchronously when the process exits any other way (an uncaught error, a signal).
 */
export function createCleanup() {
  const steps = []
  const children = new Set()
  const dirs = new Set()
  const onExit = () => {
    for (const child of children) child.kill('SIGKILL')
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', onExit)
  return {
    add(fn) {
      steps.push(fn)
    },
    child(child) {
      children.add(child)
      child.once('exit', () => children.delete(child))
      return child
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      dirs.add(dir)
      steps.push(() => {
        rmSync(dir, { recursive: true, force: true })
        dirs.delete(dir)
      })
      return dir
    },
    async run() {
      for (const step of steps.splice(0).reverse()) {
        try {
          await step()
        } catch (err) {
          console.error(`cleanup step failed: ${err.message}`)
        }
      }
      onExit()
      process.off('exit', onExit)
    },
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process exited. */
export function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * The environment of a bench daemon: the caller's, minus every WALLETD_* variable, with its own
 * config home (no user config file) and runtime dir inside `dir`, warn-level logs, plus `extra`.
 */
export function daemonEnv(dir, extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WALLETD_')) env[k] = v
  return {
    ...env,
    XDG_CONFIG_HOME: join(dir, 'config'),
    WALLETD_RUNTIME_DIR: join(dir, 'run'),
    WALLETD_LOG__LEVEL: 'warn',
    ...extra,
  }
}

/** `walletd token create NAME --json` in `dir`; returns the token (kept in memory only). */
export function createToken(dir, env, name = 'bench') {
  const res = spawnSync(
    process.execPath,
    [WALLETD_BIN, 'token', 'create', name, '--data-dir', dir, '--json'],
    {
      env,
      encoding: 'utf8',
    },
  )
  if (res.status !== 0) throw new Error(`walletd token create failed (${res.status}): ${res.stderr}`)
  return JSON.parse(res.stdout).token
}

/** Spawns `walletd start --port 0 --upstream URL --data-dir DIR` (no shell: the child is the daemon). */
export function spawnWalletd({ dir, env, upstreamUrl, cleanup }) {
  const runtimeFile = join(dir, 'run', 'walletd.json')
  rmSync(runtimeFile, { force: true })
  const child = spawn(
    process.execPath,
    [WALLETD_BIN, 'start', '--port', '0', '--upstream', upstreamUrl, '--data-dir', dir],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  cleanup.child(child)
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  return { child, runtimeFile, stderr: () => stderr }
}

/** Polls the runtime file every `everyMs` until it exists; its content (pid, port, urls). */
export async function waitForRuntimeFile(spawned, { everyMs = 2, timeoutMs = 20_000 } = {}) {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (spawned.child.exitCode !== null) {
      throw new Error(`walletd exited (${spawned.child.exitCode}) before listening: ${spawned.stderr()}`)
    }
    if (existsSync(spawned.runtimeFile)) {
      try {
        return JSON.parse(readFileSync(spawned.runtimeFile, 'utf8'))
      } catch {}
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`walletd did not write ${spawned.runtimeFile} within ${timeoutMs} ms: ${spawned.stderr()}`)
}

/** A walletd daemon process, started and listening: its port, pid, a token, and stop(). */
export async function startWalletdProcess({
  cleanup,
  upstreamUrl,
  env: extraEnv = {},
  prefix = 'walletd-bench-',
}) {
  const dir = cleanup.tempDir(prefix)
  const env = daemonEnv(dir, extraEnv)
  const token = createToken(dir, env)
  const spawned = spawnWalletd({ dir, env, upstreamUrl, cleanup })
  const stop = () => stopChild(spawned.child)
  cleanup.add(stop)
  const info = await waitForRuntimeFile(spawned)
  if (info.pid !== spawned.child.pid)
    throw new Error(`runtime file pid ${info.pid} is not ${spawned.child.pid}`)
  return { dir, token, pid: info.pid, port: info.port, wsUrl: `ws://127.0.0.1:${info.port}/rpc`, stop }
}

/** The naive WebSocket proxy in its own process; resolves with its ws URL and stop(). */
export async function startNaiveProxyProcess({ cleanup, upstreamUrl }) {
  const { pid, port, stop } = await startPortPrinter({ cleanup, script: NAIVE_PROXY, args: [upstreamUrl] })
  return { pid, wsUrl: `ws://127.0.0.1:${port}`, stop }
}

/** The naive HTTP proxy (node:http + undici keep-alive Pool) in its own process. */
export async function startNaiveHttpProxyProcess({ cleanup, upstreamUrl }) {
  const { pid, port, stop } = await startPortPrinter({
    cleanup,
    script: NAIVE_HTTP_PROXY,
    args: [upstreamUrl],
  })
  return { pid, httpUrl: `http://127.0.0.1:${port}/`, stop }
}

/**
 * A node script that prints a JSON line ({"port":N, …}) on stdout once it listens: its pid, that
 * line's fields and stop().
 */
export async function startPortPrinter({ cleanup, script, args = [], env = process.env, execArgv = [] }) {
  const child = cleanup.child(
    spawn(process.execPath, [...execArgv, script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] }),
  )
  const stop = () => stopChild(child)
  cleanup.add(stop)
  const info = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n')[0]
      if (out.includes('\n')) resolve(JSON.parse(line))
    })
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)))
  })
  return { pid: child.pid, ...info, stop }
}

/** POST one JSON-RPC request to walletd's HTTP /rpc with a Bearer token; the parsed answer. */
export function postRpc(port, token, method, params = []) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/rpc',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, body: JSON.parse(text) })
          } catch (err) {
            reject(err)
          }
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Resident set size of a process in MiB (/proc/<pid>/status VmRSS; Linux). */
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}
