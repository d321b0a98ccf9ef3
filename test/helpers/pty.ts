import { type ChildProcess, spawn } from 'node:child_process'
import { bin } from './cliProcess.js'

export type Pty = {
  child: ChildProcess
  /** Everything the PTY printed so far, `\r` removed. */
  text(): string
  /** Resolves with the output from `from` once `pattern` appears there (30 s at most). */
  waitFor(pattern: RegExp, from?: number): Promise<string>
  type(keys: string): void
  exited: Promise<number | null>
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/**
 * Runs `walletd ARGS` in a pseudo-terminal made by util-linux `script` (on Debian by default), so
 * its stdin, stdout and stderr are TTYs; the test reads the screen and types keys.
 */
export function startInPty(env: NodeJS.ProcessEnv, args: string[]): Pty {
  const command = [process.execPath, bin, ...args].map(quote).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let text = ''
  const waiters = new Set<() => void>()
  const onData = (c: Buffer) => {
    text += String(c).replaceAll('\r', '')
    for (const w of waiters) w()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return {
    child,
    exited,
    text: () => text,
    type: (keys) => child.stdin!.write(keys),
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text.slice(from))) {
            cleanup()
            resolve(text.slice(from))
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`timed out waiting for ${pattern}; the terminal shows:\n${text.slice(from)}`))
        }, 30_000)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}
