import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type DaemonProcess,
  freshHome,
  runCli,
  startCliDaemon,
  waitForPending,
} from '../helpers/cliProcess.js'
import { connect, type RpcClient } from '../helpers/wsClient.js'

/**
 * The CLI approver end to end, with the built CLI and no terminal anywhere (a service, or CI): the
 * daemon's default approver is then `cli`; a request waits until `walletd approve` / `reject`
 * decides it over the admin socket.
 */
let home: string
let env: NodeJS.ProcessEnv
let d: DaemonProcess
let client: RpcClient

const A1 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const A2 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const A3 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

beforeAll(async () => {
  ;({ home, env } = freshHome('walletd-cliapp-'))
  env.WALLETD_RATE_LIMIT__CLASSES__SIGN__BURST = '10'
  d = await startCliDaemon(env, ['--dev', '--port', '0'])
  client = await connect(d.wsUrl, { token: d.token, origin: 'https://app.example' })
})
afterAll(async () => {
  await client?.close()
  if (d) {
    await runCli(env, ['stop'])
    d.child.kill('SIGKILL')
  }
  rmSync(home, { recursive: true, force: true })
})

describe('walletd pending / approve / reject', () => {
  test('without a terminal the approver is cli, and it says so', () => {
    expect(d.stderr()).toContain('walletd: approvals: cli (stdin or stderr is not a terminal)')
  })

  test('a connect request waits; pending --json lists it; approve --accounts chooses the accounts', async () => {
    const asked = client.call('eth_requestAccounts')
    const request = await waitForPending(env, (r) => r.method === 'eth_requestAccounts')
    expect(request).toMatchObject({
      origin: 'https://app.example',
      kind: 'connect',
      chainId: 31337,
      choices: { defaults: [A1] },
    })
    expect(request.choices.accounts).toContain(A3)

    // The human listing shows the same request with the one renderer.
    const listing = await runCli(env, ['pending'])
    expect(listing.stdout).toContain(`walletd approve ${request.id}`)
    expect(listing.stdout).toContain('origin    https://app.example')

    // An account that was not offered is a usage error; the request still waits.
    const bad = await runCli(env, [
      'approve',
      request.id,
      '--accounts',
      '0x000000000000000000000000000000000000dEaD',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^walletd: .*among those offered.* \[WALLETD_ERR_USAGE\]\n$/)

    const ok = await runCli(env, ['approve', request.id, '--accounts', `${A2},${A3.toLowerCase()}`])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`Approved ${request.id}`)
    const granted = await asked
    expect(granted.error).toBeUndefined()
    expect(granted.result).toEqual([A2.toLowerCase(), A3.toLowerCase()])

    const again = await runCli(env, ['approve', request.id])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/^walletd: No pending approval request .* \[WALLETD_ERR_NOT_FOUND\]\n$/)
  })

  test('reject ID: the page gets 4001 rejected', async () => {
    const asked = client.call('personal_sign', ['0x68656c6c6f', A2.toLowerCase()])
    const request = await waitForPending(env, (r) => r.method === 'personal_sign')
    expect(request.facts).toMatchObject({ kind: 'message', text: 'hello', account: A2 })
    const r = await runCli(env, ['reject', request.id, '--reason', 'not today'])
    expect(r.code, r.stderr).toBe(0)
    expect((await asked).error).toMatchObject({
      code: 4001,
      data: { reason: 'rejected', approvalId: request.id },
    })
  })

  test('a transaction: its value crosses the socket as a decimal string; approve sends it', async () => {
    const asked = client.call('eth_sendTransaction', [
      { from: A2.toLowerCase(), to: A3, value: '0xde0b6b3a7640000' },
    ])
    const request = await waitForPending(env, (r) => r.method === 'eth_sendTransaction')
    expect(request.facts).toMatchObject({ kind: 'transaction', to: A3, value: '1000000000000000000' })
    expect(request.facts.gas).toMatch(/^\d+$/)
    expect(request.answer).toBe('recipient')
    const r = await runCli(env, ['approve', request.id])
    expect(r.code, r.stderr).toBe(0)
    const sent = await asked
    expect(sent.error).toBeUndefined()
    expect(sent.result).toMatch(/^0x[0-9a-f]{64}$/)
  })

  test('sessions, permissions; revoke reaches the connected page as accountsChanged []', async () => {
    const sessions = await runCli(env, ['sessions', '--json'])
    expect(sessions.code).toBe(0)
    expect(JSON.parse(sessions.stdout)).toContainEqual(
      expect.objectContaining({ origin: 'https://app.example', accounts: [A2, A3], connections: 1 }),
    )
    const perms = await runCli(env, ['permissions', 'HTTPS://APP.example:443', '--json'])
    expect(JSON.parse(perms.stdout)).toMatchObject({
      origin: 'https://app.example',
      permissions: [
        { parentCapability: 'eth_accounts', caveats: [{ value: [A2.toLowerCase(), A3.toLowerCase()] }] },
      ],
    })

    const sub = await client.call('eth_subscribe', ['newHeads'])
    expect(sub.result).toMatch(/^0x/)
    const revoked = await runCli(env, ['revoke', 'https://app.example'])
    expect(revoked.code, revoked.stderr).toBe(0)
    const pushed = await client.waitForNotification(
      (n) => n.method === 'walletd_accountsChanged' && (n.params as unknown[][])[0]!.length === 0,
    )
    expect(pushed.params).toEqual([[]])
    expect((await client.call('eth_accounts')).result).toEqual([])
    // Its subscription was dropped with the grant.
    const unsub = await client.call('eth_unsubscribe', [sub.result])
    expect(unsub.result).toBe(false)

    const twice = await runCli(env, ['revoke', 'https://app.example'])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toBe(
      'walletd: https://app.example has no grant to revoke. [WALLETD_ERR_NOT_FOUND]\n',
    )
    const badOrigin = await runCli(env, ['revoke', 'javascript:alert(1)'])
    expect(badOrigin.code).toBe(2)
    expect(badOrigin.stderr).toContain('[WALLETD_ERR_USAGE]')
  })

  test('status names the approvers; stop goes through the admin socket', async () => {
    const status = await runCli(env, ['status', '--json'])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      pending: 0,
      health: { approvers: ['cli'], ready: true },
    })
    const stop = await runCli(env, ['stop'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(await d.exited).toBe(0)
    expect(d.stdout()).toContain('walletd stopped (walletd stop)')
    const after = await runCli(env, ['pending'])
    expect(after.code).toBe(4)
    expect(after.stderr).toMatch(/\[WALLETD_ERR_NOT_RUNNING\]/)
  })
})
