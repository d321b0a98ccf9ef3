import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
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
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  const timeoutMs = options.startTimeoutMs ?? 20_000

  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new AnvilStartError(`Anvil did not start within ${timeoutMs} ms.`, { details: out.slice(-2000) }),
      )
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(out)
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

  const httpUrl = `http://127.0.0.1:${port}`
  const res = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
  })
  const body = (await res.json()) as { result?: string }
  if (body.result === undefined || Number.parseInt(body.result, 16) !== chainId) {
    child.kill('SIGKILL')
    throw new AnvilStartError(`The node on port ${port} answered chain id ${body.result}, not ${chainId}.`)
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
