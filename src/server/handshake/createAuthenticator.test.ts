import { createHash, createHmac, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTokenStore } from '../createTokenStore.js'
import { createAuthenticator } from './createAuthenticator.js'
import { identityFromKey } from './loadIdentityKey.js'
import { authMessage, helloTranscript } from './transcript.js'

const parts = {
  clientNonce: 'c'.repeat(43),
  origin: 'https://app.example',
  host: '127.0.0.1:8766',
  port: 8766,
}
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const identity = identityFromKey(privateKey)

/** The transcript of a hello, checked against the identity key (as a provider does). */
function verifiedTranscript(hello: { params: [{ serverNonce: string; signature: string }] }) {
  const transcript = helloTranscript({ ...parts, serverNonce: hello.params[0].serverNonce })
  const ok = verify(
    'sha256',
    Buffer.from(transcript, 'utf8'),
    { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' },
    Buffer.from(hello.params[0].signature, 'base64url'),
  )
  expect(ok).toBe(true)
  return transcript
}

/** The provider's proof: an HMAC of the auth message keyed by the token's SHA-256. */
const proveToken = (token: string, transcript: string) =>
  createHmac('sha256', createHash('sha256').update(token).digest())
    .update(authMessage(transcript), 'utf8')
    .digest('base64url')

function setup(extra?: Record<string, string>) {
  const tokens = createTokenStore({ file: join(mkdtempSync(join(tmpdir(), 'walletd-auth-')), 'tokens.json') })
  const { token } = tokens.create('host')
  const auth = createAuthenticator({ identity, tokens, ...parts, ...(extra ? { extra } : {}) })
  return { auth, token }
}

const refusal = (id: unknown) => ({
  jsonrpc: '2.0',
  id,
  error: { code: 4100, message: 'Authentication failed.' },
})

describe('createAuthenticator', () => {
  it('says hello first: walletd/1, the algorithm, a fresh server nonce, a signature and the extra fields', async () => {
    const { auth } = setup({ streamId: 's1' })
    const hello = JSON.parse(auth.hello)
    expect(hello).toMatchObject({
      jsonrpc: '2.0',
      method: 'walletd_hello',
      params: [{ protocol: 'walletd/1', alg: identity.alg, streamId: 's1' }],
    })
    expect(hello.params[0].serverNonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(JSON.parse(setup().auth.hello).params[0].serverNonce).not.toBe(hello.params[0].serverNonce)
    verifiedTranscript(hello)
  })

  it('accepts a proof of a token with a JSON-RPC answer echoing the id (or null)', async () => {
    const { auth, token } = setup()
    const transcript = verifiedTranscript(JSON.parse(auth.hello))
    const request = {
      jsonrpc: '2.0',
      id: 1,
      method: 'walletd_auth',
      params: [{ proof: proveToken(token, transcript) }],
    }
    const ok = auth.verify(JSON.stringify({ ...request, id: 7 }))
    expect(ok).toEqual({
      ok: true,
      tokenName: 'host',
      answer: JSON.stringify({ jsonrpc: '2.0', id: 7, result: true }),
    })
    const { id: _id, ...withoutId } = request
    const noId = auth.verify(JSON.stringify(withoutId))
    expect(noId.ok && JSON.parse(noId.answer)).toEqual({ jsonrpc: '2.0', id: null, result: true })
  })

  it('refuses anything else with 4100 and a reason; ids are echoed only when plain and short', async () => {
    const { auth } = setup()
    const proof = 'A'.repeat(43)
    const cases: [string, string, unknown][] = [
      ['not json', 'the first message is not JSON', null],
      ['"text"', 'the first message is not walletd_auth', null],
      ['null', 'the first message is not walletd_auth', null],
      [JSON.stringify({ id: 'a', method: 'eth_accounts' }), 'the first message is not walletd_auth', 'a'],
      [JSON.stringify({ id: 3, method: 'walletd_auth' }), 'walletd_auth without a proof', 3],
      [JSON.stringify({ id: 3, method: 'walletd_auth', params: [] }), 'walletd_auth without a proof', 3],
      [
        JSON.stringify({ id: 3, method: 'walletd_auth', params: [{ proof: 1 }] }),
        'walletd_auth without a proof',
        3,
      ],
      [
        JSON.stringify({ id: 'x'.repeat(64), method: 'walletd_auth', params: [{ proof }] }),
        'the proof matches no token allowed for this origin',
        'x'.repeat(64),
      ],
      [
        JSON.stringify({ id: 'x'.repeat(65), method: 'walletd_auth', params: [{ proof }] }),
        'the proof matches no token allowed for this origin',
        null,
      ],
      [
        JSON.stringify({ id: { a: 1 }, method: 'walletd_auth', params: [{ proof }] }),
        'the proof matches no token allowed for this origin',
        null,
      ],
      [
        JSON.stringify({ id: 1, method: 'walletd_auth', params: [{ proof }], pad: 'p'.repeat(4096) }),
        'the first message is not walletd_auth',
        null,
      ],
    ]
    for (const [text, reason, id] of cases) {
      const verdict = auth.verify(text)
      expect(verdict.ok, text.slice(0, 60)).toBe(false)
      expect(verdict.ok === false && verdict.reason, text.slice(0, 60)).toBe(reason)
      expect(JSON.parse(verdict.answer), text.slice(0, 60)).toEqual(refusal(id))
    }
  })

  it('a message of exactly 4096 characters is still read', async () => {
    const { auth } = setup()
    const base = JSON.stringify({
      id: 1,
      method: 'walletd_auth',
      params: [{ proof: 'A'.repeat(43) }],
      pad: '',
    })
    const text = base.replace('"pad":""', `"pad":"${'p'.repeat(4096 - base.length)}"`)
    expect(text).toHaveLength(4096)
    const verdict = auth.verify(text)
    expect(verdict.ok === false && verdict.reason).toBe('the proof matches no token allowed for this origin')
  })
})
