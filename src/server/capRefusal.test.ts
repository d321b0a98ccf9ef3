import { describe, expect, it } from 'vitest'
import { capRefusal } from './capRefusal.js'
import type { ConnectionRegistry } from './createConnectionRegistry.js'

const limits = { maxTotal: 10, maxPerToken: 3, maxPerDomain: 2, maxPerOrigin: 1 }

/** Counts as a registry would report them. */
function counts(c: { total?: number; token?: number; domain?: number; origin?: number }) {
  const asked: string[] = []
  const count = (what: string, n: number | undefined) => {
    asked.push(what)
    return n ?? 0
  }
  const registry = {
    total: c.total ?? 0,
    countForToken: (name: string) => count(`token ${name}`, c.token),
    countForDomain: (domain: string) => count(`domain ${domain}`, c.domain),
    countFor: (origin: string) => count(`origin ${origin}`, c.origin),
  } as unknown as ConnectionRegistry
  return { registry, asked }
}

const page = { origin: 'https://a.app.example', tokenName: 'cli' }

describe('capRefusal', () => {
  it('null while every count is below its cap', () => {
    const { registry, asked } = counts({ total: 9, token: 2, domain: 1, origin: 0 })
    expect(capRefusal(registry, limits, page)).toBeNull()
    expect(asked).toEqual(['token cli', 'domain app.example', 'origin https://a.app.example'])
  })

  it('names the first cap reached: total, token, domain, origin', () => {
    expect(capRefusal(counts({ total: 10 }).registry, limits, page)).toEqual({
      outcome: 'cap_total',
      message: 'too many connections',
    })
    expect(capRefusal(counts({ token: 3 }).registry, limits, page)).toEqual({
      outcome: 'cap_token',
      message: 'too many connections for this host token',
    })
    expect(capRefusal(counts({ domain: 2 }).registry, limits, page)).toEqual({
      outcome: 'cap_domain',
      message: 'too many connections from this site',
    })
    expect(capRefusal(counts({ origin: 1 }).registry, limits, page)).toEqual({
      outcome: 'cap_origin',
      message: 'too many connections from this origin',
    })
  })

  it('a handshake (no token yet) skips the token cap; an origin without a domain skips the domain cap', () => {
    const handshake = counts({ token: 99 })
    expect(
      capRefusal(handshake.registry, limits, { origin: 'https://a.app.example', tokenName: null }),
    ).toBeNull()
    expect(handshake.asked).not.toContain('token null')
    const own = counts({ domain: 99 })
    expect(capRefusal(own.registry, limits, { origin: 'token:cli', tokenName: 'cli' })).toBeNull()
    expect(own.asked).toEqual(['token cli', 'origin token:cli'])
  })
})
