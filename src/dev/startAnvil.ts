import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { AnvilStartError } from '../errors/startup.js'

/** Anvil's well-known test mnemonic (dev mode only, chain 31337). */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'
export const ANVIL_CHAIN_ID = 31337

export type AnvilInstance = {
  readonly port: number
  readonly httpUrl: string
  readonly wsUrl: string
  readonly chainId: number
  readonly process: ChildProcess
  stop(): Promise<void>
}

export type StartAnvilOptions = {
  /** 0 (default) picks a free port; the actual one is read from Anvil's output. */
  port?: number
  chainId?: number
  blockTimeSeconds?: number | null
  startTimeoutMs?: number
  extraArgs?: string[]
  /**
   * Anvil runs with `--quiet` and its output is not read: serving a request costs this process
   * nothing (otherwise Anvil writes a log line per request into a pipe this process drains). The
   * port is then chosen here (a free one when `port` is 0; another is tried if Anvil cannot bind
   * it) and readiness is Anvil answering eth_chainId.
   */
  quiet?: boolean
}

/** Path of the Anvil binary shipped by the npm package `@foundry-rs/anvil` (its platform package). */
export function resolveAnvilBinary(): string {
  const require = createRequire(import.meta.url)
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`
  try {
    const pkg = require.resolve(`${platformPackage}/package.json`)
    const bin = join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
    if (existsSync(bin)) return bin
  } catch {}
  try {
    return join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs')
  } catch {
    throw new AnvilStartError(
      'Anvil is not installed: the npm package @foundry-rs/anvil (and its platform package) is missing. Run `npm ci`.',
    )
  }
}

/**
 * Starts Anvil on loopback and resolves once it listens, with the port it really bound. Checks
 * the chain id it answers, so a test never talks to some other node that holds the port.
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const bin = resolveAnvilBinary()
  const chainId = options.chainId ?? ANVIL_CHAIN_ID
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--chain-id', String(chainId)]
  if (options.blockTimeSeconds) args.push('--block-time', String(options.blockTimeSeconds))
  args.push(...(options.extraArgs ?? []))
  const command = bin.endsWith('.mjs') ? process.execPath : bin
  const argv = bin.endsWith('.mjs') ? [bin, ...args] : args
  const timeoutMs = options.startTimeoutMs ?? 20_000
  let child: ChildProcess
  let port: number
  if (options.quiet) {
    ;({ child, port } = await startQuiet(command, argv, options.port ?? 0, timeoutMs))
  } else {
    child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    port = await portFromPipe(child, timeoutMs)
  }

  const httpUrl = `http://127.0.0.1:${port}`
  let answered: string | undefined
  try {
    answered = await askChainId(port, timeoutMs)
  } catch (err) {
    child.kill('SIGKILL')
    throw new AnvilStartError(
      `The node on port ${port} did not answer eth_chainId: ${(err as Error).message}`,
    )
  }
  if (answered === undefined || Number.parseInt(answered, 16) !== chainId) {
    child.kill('SIGKILL')
    throw new AnvilStartError(`The node on port ${port} answered chain id ${answered}, not ${chainId}.`)
  }

  let stopped: Promise<void> | undefined
  return {
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    chainId,
    process: child,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => {
          clearTimeout(kill)
          resolve()
        })
        child.kill('SIGTERM')
      })
      return stopped
    },
  }
}

const LISTENING = /Listening on 127\.0\.0\.1:(\d+)/

/** The port from Anvil's output on a pipe (then drained, so Anvil never blocks on it). */
function portFromPipe(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new AnvilStartError(`Anvil did not start within ${timeoutMs} ms.`, { details: out.slice(-2000) }),
      )
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const m = LISTENING.exec(out)
      if (m) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        child.stderr?.resume()
        resolve(Number(m[1]))
      }
      if (out.length > 1_000_000) out = out.slice(-10_000)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(new AnvilStartError(`Anvil could not be started: ${err.message}`, { cause: err }))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(
        new AnvilStartError(`Anvil exited with code ${code} before listening.`, {
          details: out.slice(-2000),
        }),
      )
    })
  })
}

/**
 * Starts Anvil with `--quiet` on `port` (a free one picked here when 0) and waits until it answers
 * eth_chainId. A picked port can be taken by someone else before Anvil binds it: Anvil then exits,
 * and another port is tried (three times at most).
 */
async function startQuiet(
  command: string,
  argv: string[],
  port: number,
  timeoutMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    const tryPort = port === 0 ? await freePort() : port
    const args = [...argv, '--quiet']
    args[args.indexOf('--port') + 1] = String(tryPort)
    const child = spawn(command, args, { stdio: 'ignore' })
    let failure: Error | null = null
    child.once('error', (err) => {
      failure = new AnvilStartError(`Anvil could not be started: ${err.message}`, { cause: err })
    })
    for (;;) {
      if (failure) throw failure
      if (child.exitCode !== null || child.signalCode !== null) break
      if (Date.now() - started > timeoutMs) {
        child.kill('SIGKILL')
        throw new AnvilStartError(`Anvil did not start within ${timeoutMs} ms.`)
      }
      try {
        await askChainId(tryPort, 1000)
        return { child, port: tryPort }
      } catch {}
      await new Promise((r) => setTimeout(r, 5))
    }
    if (port !== 0 || attempt >= 2) {
      throw new AnvilStartError(
        `Anvil exited with code ${child.exitCode} before listening on port ${tryPort}.`,
      )
    }
  }
}

/** A port nothing listens on right now (the OS's pick for port 0 on 127.0.0.1). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** eth_chainId over plain node:http (global fetch would load its own HTTP stack at start-up). */
function askChainId(port: number, timeoutMs: number): Promise<string | undefined> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' })
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => {
          try {
            resolve((JSON.parse(text) as { result?: string }).result)
          } catch (err) {
            reject(err)
          }
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(body)
  })
}
