import { WALLETD_ICON } from './icon.js'

/** EIP-6963 provider info: all four fields, as dApps validate them. */
export type ProviderInfo = {
  readonly uuid: string
  readonly name: string
  readonly icon: string
  readonly rdns: string
}

/** A UUIDv4, lowercase (crypto.randomUUID where there is one). */
export function uuidV4(): string {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID()
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** walletd's default info; `local.walletd` claims no registered domain. */
export function walletdInfo(overrides: Partial<Omit<ProviderInfo, 'uuid'>> = {}): ProviderInfo {
  return { uuid: uuidV4(), name: 'walletd', icon: WALLETD_ICON, rdns: 'local.walletd', ...overrides }
}

/**
 * EIP-6963: announces `{ info, provider }` (a frozen detail, the same object every time) at once and
 * again on every `eip6963:requestProvider`. Returns the function that stops answering requests.
 */
export function announceProvider(
  info: ProviderInfo,
  provider: unknown,
  target: Pick<Window, 'addEventListener' | 'removeEventListener' | 'dispatchEvent'> = globalThis.window,
): () => void {
  const detail = Object.freeze({ info: Object.freeze({ ...info }), provider })
  const announce = () => {
    target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }))
  }
  target.addEventListener('eip6963:requestProvider', announce)
  announce()
  return () => target.removeEventListener('eip6963:requestProvider', announce)
}
