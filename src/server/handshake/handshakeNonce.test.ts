import { describe, expect, it } from 'vitest'
import { handshakeNonce } from './handshakeNonce.js'

const N = 'n'.repeat(22)
const req = (r: { method?: string; url?: string; headers?: Record<string, string> }) =>
  ({ method: 'GET', url: '/rpc', headers: {}, ...r }) as never
const upgrade = (protocols: string) =>
  req({ headers: { upgrade: 'websocket', 'sec-websocket-protocol': protocols } })

describe('handshakeNonce', () => {
  it('reads the nonce of an upgrade from a walletd.nonce entry beside walletd.v1', () => {
    expect(handshakeNonce(upgrade(`walletd.v1, walletd.nonce.${N}`))).toBe(N)
    expect(handshakeNonce(upgrade(`walletd.nonce.${N}`))).toBeUndefined()
    expect(handshakeNonce(upgrade('walletd.v1'))).toBeUndefined()
    expect(handshakeNonce(req({ headers: { upgrade: 'websocket' } }))).toBeUndefined()
    // At most 512 characters of header.
    const long = `walletd.v1, walletd.nonce.${N}, ${'x'.repeat(512)}`
    expect(handshakeNonce(upgrade(long))).toBeUndefined()
    const exact = `walletd.v1, walletd.nonce.${N},`.padEnd(512, 'x')
    expect(handshakeNonce(upgrade(exact))).toBe(N)
    // An upgrade's query is not read.
    expect(handshakeNonce(req({ url: `/rpc?nonce=${N}`, headers: { upgrade: 'websocket' } }))).toBeUndefined()
  })

  it('reads ?nonce= on a GET without an upgrade, not on other methods', () => {
    expect(handshakeNonce(req({ url: `/events?nonce=${N}` }))).toBe(N)
    expect(handshakeNonce(req({ url: '/events' }))).toBeUndefined()
    expect(handshakeNonce(req({ url: '/events?other=1' }))).toBeUndefined()
    expect(handshakeNonce(req({ method: 'POST', url: `/events?nonce=${N}` }))).toBeUndefined()
    const query = `nonce=${N}&pad=`.padEnd(512, 'x')
    expect(handshakeNonce(req({ url: `/events?${query}` }))).toBe(N)
    expect(handshakeNonce(req({ url: `/events?${query}x` }))).toBeUndefined()
  })

  it('only a well-formed nonce (base64url, 22 to 86 characters) counts', () => {
    for (const bad of ['short', 'n'.repeat(87), `${'n'.repeat(21)}!`]) {
      expect(handshakeNonce(req({ url: `/events?nonce=${bad}` })), bad).toBeUndefined()
      expect(handshakeNonce(upgrade(`walletd.v1, walletd.nonce.${bad}`)), bad).toBeUndefined()
    }
  })
})
