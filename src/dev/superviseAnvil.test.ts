import { EventEmitter } from 'node:events'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { AnvilStartError } from '../errors/startup.js'
import type { AnvilInstance, StartAnvilOptions } from './startAnvil.js'
import { superviseAnvil } from './superviseAnvil.js'

/** A fake Anvil child: `die()` makes it exit like a killed process. */
function fakeAnvil(port: number) {
  const proc = Object.assign(new EventEmitter(), { stdout: null, stderr: null, pid: Math.random() })
  const instance = {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    chainId: 31337,
    process: proc,
    stop: async () => {
      proc.emit('exit', 0, null)
    },
  } as unknown as AnvilInstance
  return { instance, die: (signal = 'SIGKILL') => proc.emit('exit', null, signal) }
}

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('superviseAnvil', () => {
  test('restarts a dead child on the same port with its state file; failed attempts are retried', async () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-supervise-'))
    const stateFile = join(dir, 'state.json')
    writeFileSync(stateFile, 'left by an earlier run')
    const calls: StartAnvilOptions[] = []
    const children: ReturnType<typeof fakeAnvil>[] = []
    let failNext = 0
    const sup = await superviseAnvil({
      start: { port: 0 },
      stateFile,
      stateIntervalSeconds: 2,
      log: pino({ level: 'silent' }),
      restartInitialMs: 1,
      restartMaxMs: 4,
      startOne: async (opts) => {
        calls.push(opts)
        if (failNext-- > 0)
          throw new AnvilStartError('Anvil exited with code 1 before listening.', {
            details: 'Address in use',
          })
        const c = fakeAnvil(calls.length === 1 ? 4321 : opts.port!)
        children.push(c)
        return c.instance
      },
    })
    // A fresh chain per run: the old state file is gone before the first start.
    expect(readdirSync(dir)).toEqual([])
    expect(calls[0]!.extraArgs).toEqual(['--state', stateFile, '--state-interval', '2'])
    expect(sup.status()).toEqual({ running: true, restarts: 0, reason: null, persisted: true })

    failNext = 2
    const restarted = new Promise<void>((r) => sup.onRestart(r))
    children[0]!.die()
    expect(sup.status().running).toBe(false)
    expect(sup.status().reason).toBe('Anvil exited on signal SIGKILL; restarting it on port 4321')
    await restarted
    expect(calls.slice(1).map((c) => c.port)).toEqual([4321, 4321, 4321])
    expect(sup.status()).toEqual({ running: true, restarts: 1, reason: null, persisted: true })
    expect(sup.current()).toBe(children[1]!.instance)

    await sup.stop()
    children[1]!.die() // an exit after stop() is not restarted
    await new Promise((r) => setTimeout(r, 20))
    expect(calls).toHaveLength(4)
  })

  test('a state file Anvil cannot load is set aside and the chain starts fresh', async () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-supervise-'))
    const stateFile = join(dir, 'state.json')
    let first = true
    let child!: ReturnType<typeof fakeAnvil>
    const sup = await superviseAnvil({
      start: { port: 5555 },
      stateFile,
      stateIntervalSeconds: 1,
      log: pino({ level: 'silent' }),
      restartInitialMs: 1,
      now: () => 42,
      startOne: async () => {
        if (!first && readdirSync(dir).includes('state.json')) {
          throw new AnvilStartError('Anvil exited with code 2 before listening.', {
            details: "error: invalid value 'state.json' for '--state <PATH>': failed to parse json file",
          })
        }
        first = false
        child = fakeAnvil(5555)
        return child.instance
      },
    })
    const restarted = new Promise<void>((r) => sup.onRestart(r))
    writeFileSync(stateFile, '{"block":{"numb') // killed while Anvil wrote it
    child.die()
    await restarted
    expect(readdirSync(dir)).toEqual(['state.json.corrupt-42'])
    await sup.stop()
  })

  test('without a state interval nothing is persisted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-supervise-'))
    let args: string[] | undefined
    const sup = await superviseAnvil({
      start: { port: 0, extraArgs: ['--x'] },
      stateFile: join(dir, 'state.json'),
      stateIntervalSeconds: null,
      log: pino({ level: 'silent' }),
      startOne: async (opts) => {
        args = opts.extraArgs
        return fakeAnvil(1).instance
      },
    })
    expect(args).toEqual(['--x'])
    expect(sup.status().persisted).toBe(false)
    await sup.stop()
  })
})
