import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { freshHome, runCli } from '../helpers/cliProcess.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The audit log of a real flow — connect, sign a message, sign typed data, send a transaction,
 * revoke — against the real Anvil, then `walletd audit verify` (the built CLI) on it: it passes,
 * and fails naming the line once a line is edited, removed or reordered.
 */
const A1 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
let t: TestDaemon
let env: NodeJS.ProcessEnv
let file: string
let original: string
let originalHead: string
let txHash: string
let signature: string

beforeAll(async () => {
  env = freshHome('walletd-auditcli-').env
  t = await startTestDaemon({ approver: createScriptedApprover() })
  file = t.daemon.paths.auditLog
  const c = await t.connect()
  expect((await c.call('eth_requestAccounts')).result).toContain(A1)
  signature = (await c.call('personal_sign', ['0x68656c6c6f', A1])).result as string
  const typed = await c.call('eth_signTypedData_v4', [
    A1,
    {
      types: { EIP712Domain: [{ name: 'name', type: 'string' }], Mail: [{ name: 'body', type: 'string' }] },
      primaryType: 'Mail',
      domain: { name: 'audit' },
      message: { body: 'hi' },
    },
  ])
  expect(typed.error).toBeUndefined()
  const sent = await c.call('eth_sendTransaction', [
    { from: A1, to: '0x000000000000000000000000000000000000dEaD', value: '0x1' },
  ])
  txHash = sent.result as string
  expect(txHash).toMatch(/^0x[0-9a-f]{64}$/)
  expect((await c.call('wallet_revokePermissions', [{ eth_accounts: {} }])).error).toBeUndefined()
  await c.close()
  // Stopping writes the last decisions; the log is then complete.
  await t.daemon.close()
  original = readFileSync(file, 'utf8')
  originalHead = readFileSync(t.daemon.paths.auditHead, 'utf8')
})
afterAll(() => t?.close())

const verify = (...extra: string[]) => runCli(env, ['audit', 'verify', '--data-dir', t.dataDir, ...extra])

describe('walletd audit', () => {
  test('one line per grant, decision, signature, transaction and revoke; no token', () => {
    const records = original
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const types = records.map((r) => r.type)
    expect(types[0]).toBe('started')
    expect(types).toEqual(expect.arrayContaining(['grant', 'approval', 'signature', 'transaction', 'revoke']))
    expect(records.filter((r) => r.type === 'approval').map((r) => [r.method, r.approved, r.by])).toEqual([
      ['eth_requestAccounts', true, 'scripted'],
      ['personal_sign', true, 'scripted'],
      ['eth_signTypedData_v4', true, 'scripted'],
      ['eth_sendTransaction', true, 'scripted'],
    ])
    expect(records.find((r) => r.type === 'transaction')).toMatchObject({
      txHash,
      account: expect.stringMatching(/^0x/),
      value: '1',
    })
    expect(records.find((r) => r.type === 'signature' && r.method === 'personal_sign')).toMatchObject({
      signature,
    })
    expect(
      records.find((r) => r.type === 'approval' && r.method === 'eth_sendTransaction').facts,
    ).toMatchObject({ value: '1' })
    expect(original).not.toContain(t.token)
  })

  test('verify passes on the real log; tail prints its last lines', async () => {
    const r = await verify()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/verifies: \d+ line\(s\)/)
    const tail = await runCli(env, ['audit', 'tail', '-n', '2', '--data-dir', t.dataDir])
    expect(tail.code).toBe(0)
    expect(tail.stdout.trim().split('\n')).toEqual(original.trim().split('\n').slice(-2))
  })

  test('tail -f prints lines as they are written', async () => {
    const { spawn } = await import('node:child_process')
    const { bin } = await import('../helpers/cliProcess.js')
    const { createAuditLog } = await import('../../src/audit/createAuditLog.js')
    const child = spawn(process.execPath, [bin, 'audit', 'tail', '-n', '0', '-f', '--data-dir', t.dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      let out = ''
      const printed = (text: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`tail -f printed: ${out}`)), 15_000)
          const check = () => {
            if (out.includes(text)) {
              clearTimeout(timer)
              resolve()
            }
          }
          child.stdout!.on('data', (c) => {
            out += c
            check()
          })
          check()
        })
      // Lines written after tail -f started, whenever it started: append until one shows.
      const log = createAuditLog({ file, headFile: t.daemon.paths.auditHead })
      const shown = printed('https://tail.example')
      const writer = setInterval(
        () => log.record({ type: 'grant', origin: 'https://tail.example', accounts: [] }),
        300,
      )
      try {
        await shown
      } finally {
        clearInterval(writer)
        log.close()
      }
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      // Only new lines (-n 0), each one a whole record.
      for (const line of out.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ type: 'grant' })
    } finally {
      child.kill('SIGKILL')
      writeFileSync(file, original)
      writeFileSync(t.daemon.paths.auditHead, originalHead)
    }
  })

  const changes: Array<[string, (ls: string[]) => number]> = [
    [
      'edited',
      (ls) => {
        const i = ls.findIndex((l) => l.includes('"approved":true'))
        ls[i] = ls[i]!.replace('"approved":true', '"approved":false')
        return i + 1
      },
    ],
    [
      'edited (its hash recomputed too)',
      (ls) => {
        ls[1] = ls[1]!.replace(/"hash":"[0-9a-f]{64}"/, `"hash":"${'1'.repeat(64)}"`)
        return 2
      },
    ],
    [
      'removed',
      (ls) => {
        ls.splice(3, 1)
        return 4
      },
    ],
    [
      'reordered',
      (ls) => {
        const four = ls[4]!
        ls[4] = ls[5]!
        ls[5] = four
        return 5
      },
    ],
  ]
  test.each(changes)('verify fails on a line %s, and names it (exit 1)', async (_what, change) => {
    const ls = original.trim().split('\n')
    const line = change(ls)
    writeFileSync(file, `${ls.join('\n')}\n`)
    try {
      const r = await verify()
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(
        new RegExp(`^walletd: The audit log .* is broken at line ${line}: .* \\[WALLETD_ERR_AUDIT\\]\\n$`),
      )
    } finally {
      writeFileSync(file, original)
    }
  })
})
