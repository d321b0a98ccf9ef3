import { describe, expect, it } from 'vitest'
import { announceProvider, uuidV4, walletdInfo } from './announce.js'

describe('EIP-6963', () => {
  it('announces a frozen detail at once and again on every request', () => {
    const target = new EventTarget() as unknown as Window
    const seen: CustomEvent[] = []
    target.addEventListener('eip6963:announceProvider', (e) => seen.push(e as CustomEvent))
    const provider = { request: async () => null }
    const info = walletdInfo()
    const stop = announceProvider(info, provider, target)
    expect(seen).toHaveLength(1)
    target.dispatchEvent(new Event('eip6963:requestProvider'))
    target.dispatchEvent(new Event('eip6963:requestProvider'))
    expect(seen).toHaveLength(3)
    const detail = seen[0]!.detail
    expect(seen[0]).toBeInstanceOf(CustomEvent)
    expect(Object.isFrozen(detail)).toBe(true)
    expect(Object.isFrozen(detail.info)).toBe(true)
    expect(seen[2]!.detail).toBe(detail)
    expect(detail.provider).toBe(provider)
    // MetaMask's validators: uuid v4 lowercase, name, data:image icon, rdns with a letters-only TLD.
    expect(detail.info.uuid).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[a-f0-9]{4}-[a-f0-9]{12}$/)
    expect(detail.info.name).toBe('walletd')
    expect(detail.info.icon.startsWith('data:image/svg+xml;base64,')).toBe(true)
    expect(detail.info.rdns).toMatch(
      /(?=^.{4,253}$)(^((?!-)[a-zA-Z0-9-]{0,62}[a-zA-Z0-9]\.)+[a-zA-Z]{2,63}$)/,
    )
    stop()
    target.dispatchEvent(new Event('eip6963:requestProvider'))
    expect(seen).toHaveLength(3)
  })

  it('uuidV4 is a fresh v4 uuid each time (with or without crypto.randomUUID)', () => {
    const a = uuidV4()
    expect(a).not.toBe(uuidV4())
    const saved = crypto.randomUUID
    try {
      ;(crypto as { randomUUID?: unknown }).randomUUID = undefined
      expect(uuidV4()).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/)
    } finally {
      ;(crypto as { randomUUID?: unknown }).randomUUID = saved
    }
  })
})
