import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The built CLI, as a user runs it. */
export const bin = new URL('../../bin/walletd.js', import.meta.url).pathname

/** An empty home with its own XDG dirs (config, data, runtime), as a fresh user has. */
export function freshHome(prefix: string): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmpdir(), prefix))
  return {
    home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      TERM: 'dumb',
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
      XDG_RUNTIME_DIR: join(home, 'run'),
      WALLETD_LOG__FORMAT: 'json',
    },
  }
}

export type CliResult = { code: number | null; stdout: string; stderr: string }

/** Runs `walletd ARGS` to completion (without blocking the test's event loop). */
export function runCli(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c) => (stdout += c))
    child.stderr!.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`walletd ${args.join(' ')} did not finish; stderr: ${stderr}`))
    }, 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin!.end(input ?? '')
  })
}

export type DaemonProcess = {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  wsUrl: string
  httpUrl: string
  token: string
  exited: Promise<number | null>
}

/** `walletd start ARGS` without a terminal; resolves once the banner and the approvals line are out. */
export function startCliDaemon(env: NodeJS.ProcessEnv, args: string[]): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [bin, 'start', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let errText = ''
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${errText}`)), 30_000)
    const check = () => {
      if (out.includes('chains') && errText.includes('approvals:')) {
        clearTimeout(timer)
        resolve({
          child,
          stdout: () => out,
          stderr: () => errText,
          wsUrl: /WebSocket\s+(ws:\/\/\S+)/.exec(out)![1]!,
          httpUrl: /HTTP\s+(http:\/\/\S+)/.exec(out)![1]!,
          token: /dev token\s+(\S+)/.exec(out)?.[1] ?? '',
          exited,
        })
      }
    }
    child.stdout!.on('data', (c) => {
      out += c
      check()
    })
    child.stderr!.on('data', (c) => {
      errText += c
      check()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code}: ${errText}`))
    })
  })
}

/** Polls `walletd pending --json` until `pred` holds for a request; resolves with it. */
export async function waitForPending(
  env: NodeJS.ProcessEnv,
  pred: (r: { id: string; method: string; origin: string; [k: string]: unknown }) => boolean,
): Promise<{ id: string; method: string; origin: string; [k: string]: any }> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const r = await runCli(env, ['pending', '--json'])
    if (r.code === 0) {
      const found = (JSON.parse(r.stdout) as Array<{ id: string; method: string; origin: string }>).find(pred)
      if (found) return found
    }
    if (Date.now() > deadline) throw new Error(`no matching pending request; last: ${r.stdout} ${r.stderr}`)
  }
}
