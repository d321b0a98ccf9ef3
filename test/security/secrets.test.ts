import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Hex, recoverMessageAddress } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { hexToBytes } from 'viem/utils'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { WrongPassphraseError } from '../../src/errors/startup.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { encryptKeystore, LIGHT_SCRYPT } from '../../src/signer/keystore/encryptKeystore.js'
import { writeKeystoreFile } from '../../src/signer/keystore/keystoreDir.js'
import { unlockAccounts } from '../../src/signer/unlockAccounts.js'
import { anvilRpc, waitForReceipt } from '../helpers/anvilRpc.js'
import { createLogSink } from '../helpers/logSink.js'
import { createScriptedApprover } from '../helpers/scriptedApprover.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * No secret in any log line, response body or error message. A whole daemon (debug logs into a
 * sink) unlocks a keystore account (a fresh random key, light scrypt, passphrase from
 * WALLETD_PASSWORD) funded directly on Anvil, and a client runs a full flow over the socket and
 * HTTP: connect, eth_requestAccounts, personal_sign, eth_signTypedData_v4, eth_sendTransaction
 * (landed), a sign with an account walletd does not hold (4100), bad tokens, malformed frames,
 * health and metrics. Then every captured text is searched for the key (hex with and without 0x,
 * any case, and base64), the passphrase and the host token (whole and its base64url body).
 */
const PASSPHRASE = 'Tr0ub4dor&3 walletd secrets test'
const privateKey = generatePrivateKey()
const account = privateKeyToAccount(privateKey)
const stranger = privateKeyToAccount(generatePrivateKey())

const sink = createLogSink('debug')
/** Every response body and error text the client side saw. */
const seen: string[] = []
let d: TestDaemon
let client: RpcClient
let keystoreHome = ''
let keystoreDir = ''

function record(client: RpcClient) {
  client.socket.on('message', (data) => seen.push(String(data)))
}

/** Every text field of an error and its cause chain (message, details, meta lines, stack). */
function errorTexts(err: unknown, depth = 0): string[] {
  if (depth > 8 || typeof err !== 'object' || err === null) return [String(err)]
  const e = err as Record<string, unknown>
  const own = ['message', 'shortMessage', 'details', 'stack', 'code'].map((k) => String(e[k] ?? ''))
  const meta = Array.isArray(e.metaMessages) ? e.metaMessages.map(String) : []
  return [...own, ...meta, JSON.stringify(err), ...(e.cause ? errorTexts(e.cause, depth + 1) : [])]
}

/** A WebSocket upgrade that is refused: resolves with the HTTP status and body. */
function refusedUpgrade(protocols: string[], headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(d.wsUrl, protocols, { headers })
    ws.once('open', () => reject(new Error('the upgrade was accepted')))
    ws.once('error', () => {})
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8')
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
  })
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const st = statSync(path)
    // Regular files only (the admin socket is in the runtime dir, under the data dir here).
    return st.isDirectory() ? filesUnder(path) : st.isFile() ? [path] : []
  })
}

beforeAll(async () => {
  keystoreHome = mkdtempSync(join(tmpdir(), 'walletd-secrets-'))
  keystoreDir = join(keystoreHome, 'keystore')
  writeKeystoreFile(
    keystoreDir,
    await encryptKeystore(hexToBytes(privateKey), PASSPHRASE, { scrypt: LIGHT_SCRYPT }),
  )
  await anvilRpc('anvil_setBalance', [account.address, '0x56bc75e2d63100000']) // 100 ETH
  d = await startTestDaemon({
    signer: null,
    logger: sink.logger,
    approver: createScriptedApprover([], 'approve'),
    config: {
      log: { level: 'debug' },
      rateLimit: { classes: { sign: { burst: 50, perSecond: 50, perMinute: 1000, perHour: 10_000 } } },
    },
    unlock: async (log) => {
      const accounts = await unlockAccounts({
        keystoreDir,
        passphraseSource: { env: { WALLETD_PASSWORD: PASSPHRASE } },
        keychain: null,
        log,
      })
      return createSigner({ privateKeys: accounts.map((a) => a.privateKey) })
    },
  })
  await d.daemon.unlocked
  expect(d.daemon.services.signer?.accounts()).toEqual([account.address])
  client = await d.connect()
  record(client)
})

afterAll(async () => {
  await client?.close()
  await d?.close()
  if (keystoreHome) rmSync(keystoreHome, { recursive: true, force: true })
})

describe('no secret leaves walletd', () => {
  test('a full flow, refusals, bad tokens and malformed frames', async () => {
    const granted = await client.call('eth_requestAccounts')
    expect(granted.result).toEqual([account.address.toLowerCase()])

    const message = 'sign me, but do not log me'
    const signature = await client.call('personal_sign', [message, account.address])
    expect(await recoverMessageAddress({ message, signature: signature.result as Hex })).toBe(account.address)

    const typed = await client.call('eth_signTypedData_v4', [
      account.address,
      JSON.stringify({
        domain: { name: 'Secrets', version: '1', chainId: 31337 },
        types: {
          EIP712Domain: [
            { name: 'name', type: 'string' },
            { name: 'version', type: 'string' },
            { name: 'chainId', type: 'uint256' },
          ],
          Note: [{ name: 'text', type: 'string' }],
        },
        primaryType: 'Note',
        message: { text: 'typed' },
      }),
    ])
    expect(typed.error).toBeUndefined()
    expect(typed.result).toMatch(/^0x[0-9a-f]{130}$/)

    const sent = await client.call('eth_sendTransaction', [
      { from: account.address, to: stranger.address, value: '0x2a' },
    ])
    expect(sent.error).toBeUndefined()
    const receipt = await waitForReceipt(sent.result as string)
    expect(receipt.status).toBe('0x1')
    expect(receipt.from).toBe(account.address.toLowerCase())

    // Signing for an account walletd does not hold.
    const refused = await client.call('personal_sign', ['0x01', stranger.address])
    expect(refused.error?.code).toBe(4100)

    // Bad tokens: a near miss of the real one (last character changed) and garbage, over both transports.
    const nearMiss = `${d.token.slice(0, -1)}${d.token.endsWith('A') ? 'B' : 'A'}`
    for (const token of [nearMiss, 'wdt_garbage']) {
      const ws = await refusedUpgrade(['walletd.v1', `walletd.token.${token}`], { origin: TEST_ORIGIN })
      expect(ws.status).toBe(401)
      seen.push(ws.body)
      const http = await d.post(
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { token, origin: TEST_ORIGIN },
      )
      expect(http.status).toBe(401)
      seen.push(JSON.stringify(http.body))
    }
    // The real token in a query string is not accepted (and must not be echoed or logged).
    const query = await fetch(`${d.httpUrl}?token=${d.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
    })
    expect(query.status).toBe(401)
    seen.push(await query.text())

    // Malformed frames on the authenticated socket.
    for (const frame of [
      '{"jsonrpc":"2.0",',
      'null',
      '[]',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","id":2,"method":"personal_sign","params":["0x01"]}',
      '{"jsonrpc":"2.0","id":3,"method":"eth_sign","params":[]}',
      JSON.stringify({
        jsonrpc: '2.0',
        id: 4,
        method: 'eth_sendTransaction',
        params: [{ from: account.address, value: 'x' }],
      }),
    ]) {
      const reply = (await client.raw(frame)) as { error?: { code: number } }
      expect(reply.error?.code).toBeLessThan(0)
    }

    // Local endpoints.
    for (const path of ['/healthz', '/readyz', '/health', '/metrics']) {
      const res = await fetch(`${d.baseUrl}${path}`)
      expect(res.status).toBe(200)
      seen.push(await res.text())
    }

    // A wrong passphrase, through the same unlock code: its error and its log lines.
    const wrongLog = createLogSink('debug')
    const wrong = await unlockAccounts({
      keystoreDir,
      passphraseSource: { env: { WALLETD_PASSWORD: `${PASSPHRASE} (wrong)` } },
      keychain: null,
      log: wrongLog.logger,
    }).then(
      () => null,
      (err: unknown) => err,
    )
    expect(wrong).toBeInstanceOf(WrongPassphraseError)
    seen.push(...errorTexts(wrong), wrongLog.text())

    await client.close()
    // The daemon's own files (sessions, tokens, runtime info) and the encrypted keystore.
    for (const file of [...filesUnder(d.dataDir), ...filesUnder(keystoreHome)]) {
      seen.push(readFileSync(file, 'utf8'))
    }

    // Shut the daemon down so its closing lines are searched too (d.close() later only removes files).
    await d.daemon.close()
    const logs = sink.text()
    // The sink did capture the flow (an empty sink cannot pass this test), and the search finds
    // what is there: the account's address is logged (lower-cased here like every needle).
    for (const msg of [
      'account unlocked',
      'connection opened',
      'approval decided',
      'transaction sent',
      'request refused',
      'connection closed',
      'shutting down',
    ]) {
      expect(logs).toContain(msg)
    }
    expect(logs.toLowerCase()).toContain(account.address.toLowerCase())
    expect(seen.length).toBeGreaterThan(20)

    const keyHex = privateKey.slice(2).toLowerCase()
    const tokenBody = d.token.slice('wdt_'.length)
    const needles: Record<string, string> = {
      'private key hex': keyHex,
      'private key base64': Buffer.from(keyHex, 'hex').toString('base64'),
      'private key base64url': Buffer.from(keyHex, 'hex').toString('base64url'),
      passphrase: PASSPHRASE,
      'wrong passphrase': `${PASSPHRASE} (wrong)`,
      token: d.token,
      'token body': tokenBody,
      'near-miss token': nearMiss,
    }
    const haystacks: Record<string, string> = { logs, responses: seen.join('\n') }
    for (const [where, text] of Object.entries(haystacks)) {
      const lower = text.toLowerCase()
      for (const [what, needle] of Object.entries(needles)) {
        // Lower-cased on both sides: any case, and 0x or not (the hex alone is a substring of both).
        expect(lower.includes(needle.toLowerCase()), `${what} in ${where}`).toBe(false)
      }
    }
  })
})
