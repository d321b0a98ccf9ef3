import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTokenStore } from '../server/createTokenStore.js'
import { createAuthenticator } from '../server/handshake/createAuthenticator.js'
import { identityFromKey } from '../server/handshake/loadIdentityKey.js'
import { helloTranscript as serverTranscript } from '../server/handshake/transcript.js'
import { IDENTITY_MISMATCH } from './errors.js'
import { authRequest, helloTranscript, proveToken, verifyHello } from './handshake.js'

const parts = {
  clientNonce: 'c'.repeat(43),
  serverNonce: 's'.repeat(43),
  origin: 'https://app.example',
  host: '127.0.0.1:8766',
  port: 8766,
}

describe('the provider side of the handshake, against the daemon side', () => {
  it('builds the transcript the daemon signs, byte for byte', () => {
    expect(helloTranscript(parts)).toBe(serverTranscript(parts))
    expect(helloTranscript({ ...parts, host: 'LOCALHOST:8766' })).toBe(
      serverTranscript({ ...parts, host: 'localhost:8766' }),
    )
  })

  it('verifies a real hello, proves a token the daemon accepts, and refuses another key', async () => {
    const identity = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    const tokens = createTokenStore({ file: join(mkdtempSync(join(tmpdir(), 'walletd-hs-')), 'tokens.json') })
    const { token } = tokens.create('host', { origins: ['https://app.example'] })
    const auth = createAuthenticator({
      identity,
      tokens,
      clientNonce: parts.clientNonce,
      origin: parts.origin,
      host: parts.host,
      port: parts.port,
    })
    const hello = JSON.parse(auth.hello)
    const { transcript } = await verifyHello(hello, identity.publicKey, parts)
    const verdict = auth.verify(authRequest(await proveToken(token, transcript)))
    expect(verdict).toMatchObject({ ok: true, tokenName: 'host' })

    const other = identityFromKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
    await expect(verifyHello(hello, other.publicKey, parts)).rejects.toMatchObject({
      kind: 'identity',
      message: expect.stringContaining(IDENTITY_MISMATCH),
    })
    // The same hello for another origin or port does not verify either.
    await expect(
      verifyHello(hello, identity.publicKey, { ...parts, origin: 'https://evil.example' }),
    ).rejects.toMatchObject({ kind: 'identity' })
    await expect(verifyHello(hello, identity.publicKey, { ...parts, port: 8767 })).rejects.toMatchObject({
      kind: 'identity',
    })
    // Something that is not a hello at all.
    await expect(
      verifyHello({ jsonrpc: '2.0', id: 1, result: '0x1' }, identity.publicKey, parts),
    ).rejects.toMatchObject({ kind: 'identity' })
    // A wrong token's proof is refused by the daemon.
    const wrong = auth.verify(authRequest(await proveToken(`wdt_${'B'.repeat(43)}`, transcript)))
    expect(wrong.ok).toBe(false)
  })
})
