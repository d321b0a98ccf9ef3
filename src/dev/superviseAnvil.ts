import { existsSync, renameSync, rmSync } from 'node:fs'
import type { Logger } from 'pino'
import { type AnvilInstance, type StartAnvilOptions, startAnvil } from './startAnvil.js'

/** What `/health` and `/readyz` say about the dev chain. */
export type DevChainStatus = {
  /** The Anvil child is up and answering. */
  running: boolean
  /** Restarts after an unexpected exit, since walletd started. */
  restarts: number
  /** Why it is down (how the child exited, and what walletd is doing about it); null while running. */
  reason: string | null
  /** Whether its chain state is saved for a restart (`devChain.stateIntervalSeconds`). */
  persisted: boolean
}

export type SupervisedAnvil = {
  readonly port: number
  readonly httpUrl: string
  readonly wsUrl: string
  readonly chainId: number
  /** The child running now (tests kill it to prove the restart). */
  current(): AnvilInstance | null
  status(): DevChainStatus
  /** Resolves once the next (re)start finished; for tests and logs. */
  onRestart(fn: () => void): () => void
  /**
   * walletd is shutting down: an exit from now on is expected (a Ctrl-C at the terminal reaches
   * Anvil too, being in the same process group) and is not restarted.
   */
  quiesce(): void
  stop(): Promise<void>
}

export type SuperviseAnvilOptions = {
  start: StartAnvilOptions
  /**
   * Where Anvil saves its chain state (`--state FILE --state-interval N`) so that a restarted Anvil
   * has the same accounts, balances, contracts and blocks. null: a restart begins a fresh chain.
   */
  stateFile: string | null
  stateIntervalSeconds: number | null
  log: Logger
  now?: () => number
  /** First delay before a restart attempt; doubles per failed attempt up to `restartMaxMs`. */
  restartInitialMs?: number
  restartMaxMs?: number
  /** For tests: how to start one Anvil (default `startAnvil`). */
  startOne?: (options: StartAnvilOptions) => Promise<AnvilInstance>
  /**
   * The first Anvil, already starting (the CLI starts it while walletd loads: `startDevAnvil`,
   * with the same options and a fresh state file); adopted instead of starting one here.
   */
  first?: Promise<AnvilInstance>
}

/**
 * The dev Anvil, supervised: when the child exits without being asked to (a crash, a kill), walletd
 * notices at once, reports it (`status()`: `/health` and `/readyz` say why), and starts Anvil again
 * on the same port, from the state Anvil saved every `stateIntervalSeconds` (Anvil 1.7.1's
 * `--state`; a state file Anvil cannot load is set aside and the chain starts fresh). Attempts are
 * spaced by a doubling delay, so a child that dies at once does not spin. The upstream's WebSocket
 * reconnects by itself once the port answers again.
 */
export async function superviseAnvil(options: SuperviseAnvilOptions): Promise<SupervisedAnvil> {
  const { log, stateFile } = options
  const startOne = options.startOne ?? startAnvil
  const initialMs = options.restartInitialMs ?? 250
  const maxMs = options.restartMaxMs ?? 5000
  const persisted = stateFile !== null && options.stateIntervalSeconds !== null
  // A fresh chain per daemon run: state left by an earlier run is not loaded.
  if (stateFile && !options.first) rmSync(stateFile, { force: true })
  const stateArgs = () =>
    persisted ? ['--state', stateFile!, '--state-interval', String(options.stateIntervalSeconds)] : []

  let child: AnvilInstance | null = null
  let stopping = false
  let restarts = 0
  let reason: string | null = null
  let timer: NodeJS.Timeout | undefined
  const restartListeners = new Set<() => void>()

  // options.start already carries the state arguments when it comes from devAnvilOptions.
  const launch = (port: number) =>
    startOne({
      ...options.start,
      port,
      extraArgs: options.start.extraArgs?.includes('--state')
        ? options.start.extraArgs
        : [...(options.start.extraArgs ?? []), ...stateArgs()],
    })

  function watch(instance: AnvilInstance) {
    child = instance
    // Keep the end of Anvil's output: it says why it died (logged, never sent to a client).
    let tail = ''
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000)
    }
    instance.process.stdout?.on('data', keep)
    instance.process.stderr?.on('data', keep)
    instance.process.once('exit', (code, signal) => {
      if (child === instance) child = null
      if (stopping) return
      reason = `Anvil exited ${signal ? `on signal ${signal}` : `with code ${code}`}; restarting it on port ${port}`
      log.error({ code, signal, output: tail.slice(-1000) }, 'dev Anvil exited unexpectedly; restarting it')
      schedule(0)
    })
  }

  function schedule(attempt: number) {
    if (stopping) return
    const delay = attempt === 0 ? initialMs : Math.min(maxMs, initialMs * 2 ** attempt)
    timer = setTimeout(() => {
      timer = undefined
      void restart(attempt)
    }, delay)
    timer.unref()
  }

  async function restart(attempt: number) {
    if (stopping) return
    try {
      const instance = await launch(port)
      if (stopping) {
        await instance.stop()
        return
      }
      restarts++
      reason = null
      watch(instance)
      log.info({ port, restarts, statePreserved: persisted }, 'dev Anvil restarted')
      for (const fn of [...restartListeners]) fn()
    } catch (err) {
      const details = (err as { details?: string }).details ?? ''
      if (stateFile && existsSync(stateFile) && details.includes('--state')) {
        // Anvil cannot read its saved state (e.g. killed while writing it): start fresh.
        const aside = `${stateFile}.corrupt-${(options.now ?? Date.now)()}`
        renameSync(stateFile, aside)
        log.warn(
          { movedTo: aside },
          'dev Anvil could not load its saved state; set aside, the chain starts fresh',
        )
      }
      reason = `Anvil exited and could not be restarted yet (${(err as Error).message.split('\n')[0]}); retrying`
      log.warn(
        { attempt: attempt + 1, err: { message: (err as Error).message.split('\n')[0] } },
        'dev Anvil restart failed; retrying',
      )
      schedule(attempt + 1)
    }
  }

  const first = await (options.first ?? launch(options.start.port ?? 0))
  const port = first.port
  watch(first)

  let stopped: Promise<void> | undefined
  return {
    port,
    httpUrl: first.httpUrl,
    wsUrl: first.wsUrl,
    chainId: first.chainId,
    current: () => child,
    status: () => ({ running: child !== null, restarts, reason: child ? null : reason, persisted }),
    onRestart(fn) {
      restartListeners.add(fn)
      return () => restartListeners.delete(fn)
    },
    quiesce() {
      stopping = true
      clearTimeout(timer)
    },
    stop() {
      stopped ??= (async () => {
        stopping = true
        clearTimeout(timer)
        await child?.stop()
        if (stateFile) rmSync(stateFile, { force: true })
      })()
      return stopped
    },
  }
}
