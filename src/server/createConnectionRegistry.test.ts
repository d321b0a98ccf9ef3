import { describe, expect, it } from 'vitest'
import { createConnectionRegistry, type LiveConnection } from './createConnectionRegistry.js'

let n = 0
const conn = (origin: string, tokenName: string | null = 'host'): LiveConnection =>
  ({ id: `c${n++}`, origin, tokenName, transport: 'ws' }) as unknown as LiveConnection

describe('createConnectionRegistry', () => {
  it('counts per origin, per token and per registrable domain, and forgets on remove', () => {
    const r = createConnectionRegistry()
    const a1 = conn('https://a.example.com')
    const a2 = conn('https://a.example.com', 'other')
    const b = conn('https://b.example.com')
    const t = conn('token:cli', 'cli')
    for (const c of [a1, a2, b, t]) r.add(c)
    expect(r.total).toBe(4)
    expect(r.countFor('https://a.example.com')).toBe(2)
    expect(r.countForDomain('example.com')).toBe(3)
    expect(r.countForDomain('other.example')).toBe(0)
    expect(r.countForToken('host')).toBe(2)
    expect(r.countForToken('other')).toBe(1)
    expect(r.countForToken('cli')).toBe(1)
    expect(r.countForToken('nobody')).toBe(0)
    expect(r.forOrigin('https://a.example.com')).toEqual([a1, a2])
    expect(r.all()).toEqual([a1, a2, b, t])

    r.remove(a1)
    expect(r.total).toBe(3)
    expect(r.forOrigin('https://a.example.com')).toEqual([a2])
    expect(r.countFor('https://a.example.com')).toBe(1)
    expect(r.countForDomain('example.com')).toBe(2)
    expect(r.countForToken('host')).toBe(1)
    r.remove(a2)
    r.remove(b)
    r.remove(t)
    expect(r.total).toBe(0)
    expect(r.forOrigin('https://a.example.com')).toEqual([])
    expect(r.all()).toEqual([])
    expect(r.countForDomain('example.com')).toBe(0)
    expect(r.countForToken('host')).toBe(0)
    expect(r.countForToken('cli')).toBe(0)
  })

  it('adding twice counts once; removing what is not there changes nothing', () => {
    const r = createConnectionRegistry()
    const a = conn('https://a.example.com')
    r.add(a)
    r.add(a)
    expect(r.total).toBe(1)
    expect(r.countForDomain('example.com')).toBe(1)
    expect(r.countForToken('host')).toBe(1)
    r.remove(conn('https://a.example.com'))
    r.remove(conn('https://never.example'))
    expect(r.total).toBe(1)
    expect(r.countForToken('host')).toBe(1)
    r.remove(a)
    r.remove(a)
    expect(r.total).toBe(0)
    expect(r.countForToken('host')).toBe(0)
    expect(r.countForDomain('example.com')).toBe(0)
    // Counts start again from zero, never below.
    r.add(a)
    expect(r.countForToken('host')).toBe(1)
    expect(r.countForDomain('example.com')).toBe(1)
    expect(r.forOrigin('https://unknown.example')).toEqual([])
  })

  it('connections still authenticating are counted apart', () => {
    const r = createConnectionRegistry()
    r.addPending()
    r.addPending()
    r.removePending()
    expect(r.pending).toBe(1)
    expect(r.total).toBe(0)
  })
})
