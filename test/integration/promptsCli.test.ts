import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { freshHome, runCli, startCliDaemon, waitForPending } from '../helpers/cliProcess.js'
import { startInPty } from '../helpers/pty.js'
import { connect } from '../helpers/wsClient.js'

/**
 * `walletd prompts`: the careful terminal prompt attached to a running daemon from another
 * terminal (a real PTY made by util-linux `script`), racing the other approvers: the first
 * decision wins and every other prompt of the request is withdrawn.
 */
const A1 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
let home: string
let env: NodeJS.ProcessEnv

beforeAll(() => {
  expect(spawnSync('script', ['--version']).status, 'util-linux `script` is needed for the PTY').toBe(0)
  ;({ home, env } = freshHome('walletd-prompts-'))
  env.WALLETD_RATE_LIMIT__CLASSES__SIGN__BURST = '10'
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('walletd prompts', () => {
  test('approves and rejects from another terminal; a request decided by `walletd approve` is withdrawn on screen', async () => {
    const d = await startCliDaemon(env, ['--dev', '--port', '0'])
    const pty = startInPty(env, ['prompts'])
    try {
      await pty.waitFor(/walletd prompts: attached to walletd \(pid \d+\); 0 request\(s\) waiting/)
      const client = await connect(d.wsUrl, { token: d.token, origin: 'https://prompts.example' })

      // Connect: shown with the same renderer as the daemon's own terminal; `yes` approves the default.
      let from = pty.text().length
      const accounts = client.call('eth_requestAccounts')
      const prompt = await pty.waitFor(/answer ▸ /, from)
      expect(prompt).toContain('origin    https://prompts.example')
      expect(prompt).toContain('Type yes to connect the default account(s) marked *')
      pty.type('yes\r')
      expect((await accounts).result).toEqual([A1])
      await pty.waitFor(/walletd: approved: eth_requestAccounts request/, from)

      // Sign: anything but yes rejects.
      from = pty.text().length
      const sign = client.call('personal_sign', ['0x68656c6c6f', A1])
      expect(await pty.waitFor(/answer ▸ /, from)).toContain('hello')
      pty.type('nope\r')
      expect((await sign).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
      await pty.waitFor(/walletd: rejected: personal_sign request/, from)

      // Two approvers at once: `walletd approve` decides first; the prompt here is withdrawn.
      from = pty.text().length
      const second = client.call('personal_sign', ['0x6f6b', A1])
      await pty.waitFor(/answer ▸ /, from)
      const request = await waitForPending(env, (r) => r.method === 'personal_sign')
      const approved = await runCli(env, ['approve', request.id])
      expect(approved.code, approved.stderr).toBe(0)
      expect((await second).result).toMatch(/^0x[0-9a-f]{130}$/)
      await pty.waitFor(/walletd: withdrawn \(decided elsewhere\): personal_sign request/, from)

      // And the other way round: answered here first, `walletd approve` finds nothing to decide.
      from = pty.text().length
      const third = client.call('personal_sign', ['0x6f6b32', A1])
      await pty.waitFor(/answer ▸ /, from)
      const next = await waitForPending(env, (r) => r.method === 'personal_sign')
      pty.type('yes\r')
      expect((await third).result).toMatch(/^0x[0-9a-f]{130}$/)
      const late = await runCli(env, ['approve', next.id])
      expect(late.code).toBe(2)
      expect(late.stderr).toContain('[WALLETD_ERR_NOT_FOUND]')
      await client.close()

      // Stopping the daemon ends `walletd prompts` cleanly.
      expect((await runCli(env, ['stop'])).code).toBe(0)
      expect(await pty.exited).toBe(0)
      expect(pty.text()).toContain('walletd prompts: walletd closed the connection')
      expect(await d.exited).toBe(0)
    } finally {
      pty.child.kill('SIGKILL')
      d.child.kill('SIGKILL')
    }
  })

  test("the daemon's own terminal and `walletd prompts` both show a request; the answer in one withdraws the other", async () => {
    const daemon = startInPty(env, ['start', '--dev', '--port', '0'])
    let prompts: ReturnType<typeof startInPty> | undefined
    try {
      const banner = await daemon.waitFor(/approvals: terminal, cli/)
      const ws = /WebSocket\s+(ws:\/\/\S+)/.exec(banner)![1]!
      const token = /dev token\s+(\S+)/.exec(banner)![1]!
      prompts = startInPty(env, ['prompts'])
      await prompts.waitFor(/walletd prompts: attached/)
      const client = await connect(ws, { token, origin: 'https://two.example' })
      const fromDaemon = daemon.text().length
      const fromPrompts = prompts.text().length
      const asked = client.call('eth_requestAccounts')
      await daemon.waitFor(/answer ▸ /, fromDaemon)
      await prompts.waitFor(/answer ▸ /, fromPrompts)
      prompts.type('no\r')
      expect((await asked).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
      await prompts.waitFor(/walletd: rejected: eth_requestAccounts request/, fromPrompts)
      await daemon.waitFor(
        /walletd: withdrawn \(decided elsewhere\): eth_requestAccounts request/,
        fromDaemon,
      )
      // Keys typed at the withdrawn prompt decide nothing.
      daemon.type('yes\r')
      expect((await client.call('eth_accounts')).result).toEqual([])
      await client.close()
      expect((await runCli(env, ['stop'])).code).toBe(0)
      expect(await daemon.exited).toBe(0)
      expect(await prompts.exited).toBe(0)
    } finally {
      daemon.child.kill('SIGKILL')
      prompts?.child.kill('SIGKILL')
    }
  })
})
