import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The dev Anvil is supervised: SIGKILL its child, and walletd notices, says so on /health and
 * /readyz (with the reason) while it is down, restarts Anvil on the same port from its saved state,
 * and its upstream reconnects: a balance set before the kill is still there. To look at the "down"
 * state without racing the restart, the test holds Anvil's port for a moment after the kill, so
 * the first restart attempts fail (and are retried) until it lets go.
 */
const WHO = '0x00000000000000000000000000000000000000aa'

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const getJson = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as any }
}

describe('supervised dev Anvil', () => {
  let d: TestDaemon

  beforeAll(async () => {
    d = await startTestDaemon({
      approver: createScriptedApprover([], 'approve'),
      config: { dev: true, upstream: { reconnectInitialMs: 50, reconnectMaxMs: 200 } },
    })
  })
  afterAll(async () => {
    await d?.close()
  })

  test('SIGKILL the child: health says why meanwhile; restarted on the same port with its state', async () => {
    const anvil = d.daemon.anvil!
    const stateFile = join(d.daemon.paths.runtimeDir, 'dev-anvil-state.json')
    expect((await getJson(`${d.baseUrl}/readyz`)).status).toBe(200)
    expect((await getJson(`${d.baseUrl}/health`)).body.devChain).toEqual({
      running: true,
      restarts: 0,
      reason: null,
      persisted: true,
    })

    // Chain state before the kill: a balance, a few blocks; wait until Anvil has saved it.
    await anvilRpc('anvil_setBalance', [WHO, '0x1234'], anvil.httpUrl)
    await anvilRpc('anvil_mine', ['0x3'], anvil.httpUrl)
    const blocksBefore = BigInt(await anvilRpc('eth_blockNumber', [], anvil.httpUrl))
    await waitFor('the state file to hold the balance', () =>
      existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes(WHO.slice(2)) ? true : undefined,
    )

    const child = anvil.current()!
    const oldPid = child.process.pid
    let blocker: Server | undefined
    const exited = new Promise<void>((resolve) =>
      child.process.once('exit', () => {
        // Hold the port so the restart cannot finish before the test has looked.
        blocker = createServer((s) => s.destroy())
        blocker.on('error', (err) => expect.fail(`could not hold Anvil's port: ${err.message}`))
        blocker.listen(anvil.port, '127.0.0.1')
        resolve()
      }),
    )
    child.process.kill('SIGKILL')
    await exited
    // walletd noticed at once.
    expect(anvil.status()).toMatchObject({ running: false, restarts: 0 })
    expect(anvil.status().reason).toContain('SIGKILL')

    const health = await getJson(`${d.baseUrl}/health`)
    expect(health.status).toBe(503)
    expect(health.body.status).toBe('degraded')
    expect(health.body.devChain.running).toBe(false)
    expect(health.body.notReady.join('\n')).toContain('dev chain down: Anvil exited on signal SIGKILL')
    const readyz = await getJson(`${d.baseUrl}/readyz`)
    expect(readyz.status).toBe(503)
    expect(readyz.body.ready).toBe(false)
    expect(readyz.body.notReady.join('\n')).toContain('dev chain down')
    // A forwarded read says the chain is disconnected meanwhile (4901), it does not hang.
    const during = await d.post({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' })
    expect(during.body.error?.code).toBe(4901)

    // Let go of the port: the next attempt restarts Anvil and the upstream reconnects.
    await new Promise<void>((r) => blocker!.close(() => r()))
    await waitFor('readiness again', async () =>
      (await getJson(`${d.baseUrl}/readyz`)).status === 200 ? true : undefined,
    )
    expect(anvil.status()).toEqual({ running: true, restarts: 1, reason: null, persisted: true })
    expect(anvil.current()!.process.pid).not.toBe(oldPid)
    expect(anvil.current()!.port).toBe(anvil.port)

    // The chain state survived: the balance and the blocks, read through walletd.
    const balance = await d.post({ jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [WHO, 'latest'] })
    expect(balance.body.result).toBe('0x1234')
    const blocks = await d.post({ jsonrpc: '2.0', id: 3, method: 'eth_blockNumber' })
    expect(BigInt(blocks.body.result)).toBeGreaterThanOrEqual(blocksBefore)
    expect(d.logText()).toContain('dev Anvil exited unexpectedly')
    expect(d.logText()).toContain('dev Anvil restarted')
  })
})
