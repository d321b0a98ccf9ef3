import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openHandshake, proofOf, transcriptOf, verifyHello } from '../helpers/handshakeClient.js'
import { startTestDaemon, TEST_ORIGIN, type TestDaemon } from '../helpers/startTestDaemon.js'

/**
 * The daemon's side of the handshake: a signed hello first, then one walletd_auth with an HMAC
 * proof of a token over the transcript; nothing else runs before it, and sockets that do not
 * finish in time or crowd the unauthenticated cap are closed or refused.
 */
let d: TestDaemon

beforeAll(async () => {
  d = await startTestDaemon({
    config: { server: { authTimeoutMs: 400 }, connections: { maxUnauthenticated: 3 } },
  })
})
afterAll(async () => {
  await d?.close()
})

const host = () => `127.0.0.1:${d.port}`
const auth = (proof: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: 'auth', method: 'walletd_auth', params: [{ proof }] })

describe('the handshake', () => {
  test('the identity key is 0600 in the data dir and published in the runtime file', () => {
    const file = join(d.dataDir, 'identity.key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const runtime = JSON.parse(readFileSync(join(d.dataDir, 'run', 'walletd.json'), 'utf8'))
    expect(runtime.identity).toEqual({ alg: 'ES256', publicKey: d.daemon.info.identity.publicKey })
    expect(Buffer.from(runtime.identity.publicKey, 'base64url')).toHaveLength(65)
  })

  test('hello signed over both nonces, Origin, Host and port; a valid proof opens the session', async () => {
    const h = await openHandshake(d.wsUrl, TEST_ORIGIN)
    const transcript = transcriptOf({
      ...h,
      serverNonce: h.hello.serverNonce,
      origin: TEST_ORIGIN,
      host: host(),
      port: d.port,
    })
    expect(h.hello).toMatchObject({ protocol: 'walletd/1', alg: 'ES256' })
    expect(verifyHello(d.daemon.info.identity.publicKey, transcript, h.hello.signature)).toBe(true)
    // The signature covers each field: another origin, host or port does not verify.
    for (const other of [
      { origin: 'https://evil.example' },
      { host: `localhost:${d.port}` },
      { port: d.port + 1 },
      { clientNonce: 'x'.repeat(43) },
    ]) {
      const t = transcriptOf({
        clientNonce: h.clientNonce,
        serverNonce: h.hello.serverNonce,
        origin: TEST_ORIGIN,
        host: host(),
        port: d.port,
        ...other,
      })
      expect(verifyHello(d.daemon.info.identity.publicKey, t, h.hello.signature)).toBe(false)
    }
    h.socket.send(auth(proofOf(d.token, transcript)))
    expect(await h.next()).toEqual({ jsonrpc: '2.0', id: 'auth', result: true })
    expect(await h.next()).toMatchObject({
      method: 'walletd_state',
      params: [{ chainId: '0x7a69', accounts: [] }],
    })
    h.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }))
    expect(await h.next()).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' })
    h.socket.close()
  })

  test('a method before the proof is refused and the socket closed (1008); it never runs', async () => {
    const h = await openHandshake(d.wsUrl, TEST_ORIGIN)
    h.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_requestAccounts' }))
    expect(await h.next()).toMatchObject({ id: 7, error: { code: 4100 } })
    expect(await h.closed).toEqual({ code: 1008, reason: 'authentication failed' })
  })

  test('a wrong proof, a replayed proof and a proof for another port are refused', async () => {
    const wrong = await openHandshake(d.wsUrl, TEST_ORIGIN)
    wrong.socket.send(auth(proofOf(`wdt_${'A'.repeat(43)}`, 'anything')))
    expect(await wrong.closed).toMatchObject({ code: 1008 })

    const first = await openHandshake(d.wsUrl, TEST_ORIGIN)
    const t1 = transcriptOf({
      clientNonce: first.clientNonce,
      serverNonce: first.hello.serverNonce,
      origin: TEST_ORIGIN,
      host: host(),
      port: d.port,
    })
    const proof = proofOf(d.token, t1)
    first.socket.send(auth(proof))
    expect(await first.next()).toMatchObject({ result: true })
    // The same client nonce again: the server nonce is fresh, so the old proof does not fit.
    const replay = await openHandshake(d.wsUrl, TEST_ORIGIN, first.clientNonce)
    replay.socket.send(auth(proof))
    expect(await replay.next()).toMatchObject({ error: { code: 4100 } })
    expect(await replay.closed).toMatchObject({ code: 1008 })
    first.socket.close()

    const otherPort = await openHandshake(d.wsUrl, TEST_ORIGIN)
    const t2 = transcriptOf({
      clientNonce: otherPort.clientNonce,
      serverNonce: otherPort.hello.serverNonce,
      origin: TEST_ORIGIN,
      host: host(),
      port: d.port + 1,
    })
    otherPort.socket.send(auth(proofOf(d.token, t2)))
    expect(await otherPort.closed).toMatchObject({ code: 1008 })
  })

  test('a token bound to another origin cannot prove itself for this one', async () => {
    const { token } = d.daemon.tokens.create('bound-hs', { origins: ['https://a.example'] })
    const h = await openHandshake(d.wsUrl, 'https://b.example')
    const t = transcriptOf({
      clientNonce: h.clientNonce,
      serverNonce: h.hello.serverNonce,
      origin: 'https://b.example',
      host: host(),
      port: d.port,
    })
    h.socket.send(auth(proofOf(token, t)))
    expect(await h.closed).toMatchObject({ code: 1008 })
    const ok = await openHandshake(d.wsUrl, 'https://a.example')
    const t2 = transcriptOf({
      clientNonce: ok.clientNonce,
      serverNonce: ok.hello.serverNonce,
      origin: 'https://a.example',
      host: host(),
      port: d.port,
    })
    ok.socket.send(auth(proofOf(token, t2)))
    expect(await ok.next()).toMatchObject({ result: true })
    ok.socket.close()
  })

  test('a socket that never authenticates is closed after server.authTimeoutMs', async () => {
    const h = await openHandshake(d.wsUrl, TEST_ORIGIN)
    expect(await h.closed).toEqual({ code: 1008, reason: 'authentication timeout' })
  })

  test('unauthenticated sockets are capped (429 before the upgrade)', async () => {
    const open = await Promise.all([1, 2, 3].map(() => openHandshake(d.wsUrl, TEST_ORIGIN)))
    await expect(openHandshake(d.wsUrl, TEST_ORIGIN)).rejects.toMatchObject({ statusCode: 429 })
    for (const h of open) h.socket.close()
    await Promise.all(open.map((h) => h.closed))
    // Room again once they are gone.
    const later = await openHandshake(d.wsUrl, TEST_ORIGIN)
    later.socket.close()
  })

  test('a handshake needs an Origin and a well-formed nonce; a POST cannot start one', async () => {
    await expect(openHandshake(d.wsUrl, '')).rejects.toMatchObject({ statusCode: 401 })
    await expect(openHandshake(d.wsUrl, TEST_ORIGIN, 'short')).rejects.toMatchObject({ statusCode: 401 })
    const res = await d.post(
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { token: null, origin: TEST_ORIGIN },
    )
    expect(res.status).toBe(401)
  })
})
