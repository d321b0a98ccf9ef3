import { describe, expect, it } from 'vitest'
import { corsHeaders, isPreflight, preflightAllowed, STREAM_HEADER } from './cors.js'

const req = (method: string, headers: Record<string, string> = {}) => ({ method, headers }) as never

describe('CORS for the event-stream fallback', () => {
  it('a preflight is OPTIONS with Access-Control-Request-Method', () => {
    expect(isPreflight(req('OPTIONS', { 'access-control-request-method': 'POST' }))).toBe(true)
    expect(isPreflight(req('OPTIONS'))).toBe(false)
    expect(isPreflight(req('POST', { 'access-control-request-method': 'POST' }))).toBe(false)
  })

  it('allows only a POST asking for the stream header (and content-type), in any case and spacing', () => {
    const ask = (method: string, headers?: string) =>
      preflightAllowed(
        req('OPTIONS', {
          'access-control-request-method': method,
          ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
        }),
      )
    expect(ask('POST', STREAM_HEADER)).toBe(true)
    expect(ask('POST', ` Content-Type , X-Walletd-Stream `)).toBe(true)
    expect(ask('POST', `${STREAM_HEADER},,`)).toBe(true)
    expect(ask('PUT', STREAM_HEADER)).toBe(false)
    expect(ask('POST')).toBe(false)
    expect(ask('POST', 'content-type')).toBe(false)
    expect(ask('POST', `${STREAM_HEADER}, authorization`)).toBe(false)
  })

  it('answers with the page origin and Vary: origin', () => {
    expect(corsHeaders('https://app.example')).toEqual({
      'access-control-allow-origin': 'https://app.example',
      vary: 'origin',
    })
  })
})
