import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startInPty as startPty } from '../helpers/pty.js'
import { connect } from '../helpers/wsClient.js'

/**
 * The terminal approver end to end: the built CLI runs `start --dev` in a pseudo-terminal made by
 * util-linux `script` (on Debian by default), so stdin and stderr are TTYs and the approver is the
 * terminal one. A WebSocket client asks; the test reads the prompt from the PTY and types the answer.
 */
const bin = new URL('../../bin/walletd.js', import.meta.url).pathname
let home: string
let env: NodeJS.ProcessEnv

const startInPty = (args: string[]) => startPty(env, args)

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

beforeAll(() => {
  expect(spawnSync('script', ['--version']).status, 'util-linux `script` is needed for the PTY').toBe(0)
  home = mkdtempSync(join(tmpdir(), 'walletd-tty-'))
  env = {
    PATH: process.env.PATH,
    HOME: home,
    TERM: 'dumb',
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    WALLETD_LOG__FORMAT: 'json',
    // Four sign-class requests from one origin in a few seconds: above the default burst of 3.
    WALLETD_RATE_LIMIT__CLASSES__SIGN__BURST: '10',
  }
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('walletd start in a terminal', () => {
  test("connect approved with `yes`; a sign request rejected, a second one meanwhile -32002; a send needs the recipient's last 4", async () => {
    const pty = startInPty(['start', '--dev', '--port', '0'])
    try {
      const banner = await pty.waitFor(/approvals: terminal/)
      const ws = /WebSocket\s+(ws:\/\/\S+)/.exec(banner)![1]!
      const token = /dev token\s+(\S+)/.exec(banner)![1]!
      const client = await connect(ws, { token, origin: 'https://app.example' })

      // Connect: the prompt shows the origin and method; `yes` after the input delay approves.
      let from = pty.text().length
      const accounts = client.call('eth_requestAccounts')
      const prompt = await pty.waitFor(/answer ▸ /, from)
      expect(prompt).toContain('origin    https://app.example')
      expect(prompt).toContain('method    eth_requestAccounts')
      // The accounts are listed once, numbered; the first is the default; the person picks 1 and 3.
      expect(prompt).toContain('Type yes to connect the default account(s) marked *')
      expect(prompt).toContain(' 1* 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
      expect(prompt).toContain(' 3  0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC')
      expect(prompt.split('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')).toHaveLength(2)
      pty.type('1,3\r')
      const granted = await accounts
      expect(granted.error).toBeUndefined()
      expect(granted.result).toEqual([
        '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
        '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
      ])
      const account = (granted.result as string[])[0]!
      await pty.waitFor(/walletd: approved: eth_requestAccounts request/, from)

      // Sign: shown with the message; a second sign request from the origin meanwhile is -32002.
      from = pty.text().length
      const sign = client.call('personal_sign', ['0x68656c6c6f2077616c6c657464', account])
      const signPrompt = await pty.waitFor(/answer ▸ /, from)
      expect(signPrompt).toContain('method    personal_sign')
      expect(signPrompt).toContain('hello walletd')
      const second = await client.call('personal_sign', ['0x6f6e65206d6f7265', account])
      expect(second.error).toEqual({
        code: -32002,
        message: "Request of type 'sign' already pending for origin https://app.example. Please wait.",
        data: { kind: 'sign' },
      })
      pty.type('no\r')
      const refused = await sign
      expect(refused.error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
      await pty.waitFor(/walletd: rejected: personal_sign request/, from)

      // Send: `yes` is not enough; the last 4 characters of the recipient approve, and it lands.
      const to = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
      const tx = { from: account, to, value: '0x1' }
      from = pty.text().length
      const wrong = client.call('eth_sendTransaction', [tx])
      expect(await pty.waitFor(/answer ▸ /, from)).toContain('type the last 4 characters of the recipient')
      pty.type('yes\r')
      expect((await wrong).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
      await pty.waitFor(/walletd: rejected: eth_sendTransaction request/, from)
      from = pty.text().length
      const right = client.call('eth_sendTransaction', [tx])
      await pty.waitFor(/answer ▸ /, from)
      pty.type('93BC\r')
      const sent = await right
      expect(sent.error).toBeUndefined()
      expect(sent.result).toMatch(/^0x[0-9a-f]{64}$/)
      await client.close()

      // Stopping works with the terminal approver attached to stdin.
      const stop = run(['stop'])
      expect(stop.code, `${stop.stderr}\n${pty.text()}`).toBe(0)
      expect(await pty.exited).toBe(0)
    } finally {
      pty.child.kill('SIGKILL')
    }
  })

  test('Ctrl-C at a prompt (raw mode: no SIGINT from the terminal) rejects it and stops walletd cleanly', async () => {
    const pty = startInPty(['start', '--dev', '--port', '0'])
    try {
      const banner = await pty.waitFor(/approvals: terminal/)
      const ws = /WebSocket\s+(ws:\/\/\S+)/.exec(banner)![1]!
      const token = /dev token\s+(\S+)/.exec(banner)![1]!
      const client = await connect(ws, { token, origin: 'https://ctrl-c.example' })
      const from = pty.text().length
      const asked = client.call('eth_requestAccounts')
      await pty.waitFor(/answer ▸ /, from)
      pty.type('ye\x03')
      expect((await asked).error).toMatchObject({ code: 4001, data: { reason: 'interrupted' } })
      expect(await pty.exited).toBe(0)
      expect(pty.text().slice(from)).toContain('walletd stopped (SIGINT)')
    } finally {
      pty.child.kill('SIGKILL')
    }
  })

  test('--approver none: it says so, and every approval is refused (fail closed)', async () => {
    const child = spawn(process.execPath, [bin, 'start', '--dev', '--port', '0', '--approver', 'none'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    try {
      let out = ''
      let errText = ''
      child.stdout!.on('data', (c) => (out += c))
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      // Two pipes: wait for the notice on stderr and the banner on stdout, in either order.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notice; stderr: ${errText}`)), 30_000)
        const check = () => {
          if (errText.includes('approvals: none') && out.includes('dev token')) {
            clearTimeout(timer)
            resolve()
          }
        }
        child.stderr!.on('data', (c) => {
          errText += c
          check()
        })
        child.stdout!.on('data', check)
      })
      expect(errText).toContain('every connect, sign, send and chain-switch request is refused')
      const ws = /WebSocket\s+(ws:\/\/\S+)/.exec(out)![1]!
      const token = /dev token\s+(\S+)/.exec(out)![1]!
      // An origin the first test did not connect (sessions persist in the data dir).
      const client = await connect(ws, { token, origin: 'https://never-connected.example' })
      const r = await client.call('eth_requestAccounts')
      expect(r.error).toMatchObject({ code: 4001, data: { reason: 'no-approver' } })
      await client.close()
      expect(run(['stop']).code).toBe(0)
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  test('--approver terminal without a terminal is a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [bin, 'start', '--dev', '--port', '0', '--approver', 'terminal'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--approver terminal needs stdin and stderr to be a terminal')
  })
})
