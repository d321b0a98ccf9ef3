import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The built CLI (`npm run build` first; `npm test` does). */
export const bin = new URL('../../bin/walletd.js', import.meta.url).pathname

export type CliHome = {
  home: string
  env: NodeJS.ProcessEnv
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string }
  cleanup(): void
}

/** A fresh HOME with its own XDG config, data and runtime dirs, for running the CLI as a user would. */
export function createCliHome(prefix = 'walletd-cli-'): CliHome {
  const home = mkdtempSync(join(tmpdir(), prefix))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    WALLETD_LOG__FORMAT: 'json',
  }
  return {
    home,
    env,
    run(args, extraEnv = {}) {
      const r = spawnSync(process.execPath, [bin, ...args], {
        env: { ...env, ...extraEnv },
        encoding: 'utf8',
        timeout: 60_000,
      })
      return { code: r.status, stdout: r.stdout, stderr: r.stderr }
    },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  }
}

export type CliDaemon = {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** From the banner. */
  httpUrl: string
  wsUrl: string
  devToken: string | null
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * `walletd start ARGS` as a child process with no terminal (stdin ignored), resolved once the
 * banner is printed. Rejects with the daemon's stderr when it exits first. `nodeArgs` go to Node.
 */
export function startCliDaemon(
  args: string[],
  env: NodeJS.ProcessEnv,
  /** Node options before the script (the soak test opens the inspector to force a GC). */
  nodeArgs: string[] = [],
): Promise<CliDaemon> {
  const child = spawn(process.execPath, [...nodeArgs, bin, 'start', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let errText = ''
  let check = () => {}
  child.stderr!.on('data', (c) => {
    errText += c
    check()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${errText}`)), 60_000)
    // Started: the banner on stdout (with the dev token in dev mode) and the approvals line on stderr.
    check = () => {
      if (
        /\n\s+chains\s+.*\n/.test(out) &&
        (!args.includes('--dev') || /dev token/.test(out)) &&
        /walletd: approvals:/.test(errText)
      ) {
        check = () => {}
        clearTimeout(timer)
        const httpUrl = /HTTP\s+(http:\/\/\S+)/.exec(out)![1]!
        const wsUrl = /WebSocket\s+(ws:\/\/\S+)/.exec(out)![1]!
        const devToken = /dev token\s+(\S+)/.exec(out)?.[1] ?? null
        resolve({
          child,
          stdout: () => out,
          stderr: () => errText,
          httpUrl,
          wsUrl,
          devToken,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM')
            return exited
          },
        })
      }
    }
    child.stdout!.on('data', (c) => {
      out += c
      check()
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`walletd exited ${code} before its banner: ${errText}`))
    })
  })
}
