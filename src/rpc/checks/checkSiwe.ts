import type { Address } from 'viem'
import { parseSiweMessage } from 'viem/siwe'
import type { ApprovalWarning } from '../../approval/types.js'
import { isLoopbackHostname } from '../../session/normalizeOrigin.js'

const SIWE_MARKER = 'wants you to sign in with your Ethereum account'

export type SiweCheck = {
  /** What the prompt must show (ERC-4361: scheme, domain, address, statement, resources…). */
  details: Record<string, unknown>
  warnings: ApprovalWarning[]
}

/**
 * Sign-In with Ethereum (ERC-4361) checks for a personal_sign text, against the request's origin.
 * CRITICAL (refused without asking): the message's domain is not the origin's host (a phishing page
 * asking for a login to another site), its scheme differs, or it names another account. WARNING:
 * port mismatch, another chain, expired or not yet valid, a malformed message that still uses the
 * SIWE wording, or no web origin to check against. A loopback origin only warns on a scheme
 * mismatch, and in dev mode on a host mismatch too. Returns null for a message that is not SIWE.
 */
export function checkSiwe({
  text,
  origin,
  address,
  chainId,
  now,
  dev,
}: {
  text: string
  origin: string
  address: Address
  chainId: number
  now: number
  dev: boolean
}): SiweCheck | null {
  if (!text.includes(SIWE_MARKER)) return null
  const warnings: ApprovalWarning[] = []
  const m = parseSiweMessage(text)
  if (!m.domain || !m.address || !m.uri || !m.version || !m.nonce || m.chainId === undefined || !m.issuedAt) {
    return {
      details: {},
      warnings: [
        {
          level: 'warning',
          message: `The message says it "${SIWE_MARKER}" but is not a valid Sign-In with Ethereum message: do not trust what it claims.`,
        },
      ],
    }
  }
  const details: Record<string, unknown> = {
    scheme: m.scheme ?? 'https',
    domain: m.domain,
    address: m.address,
    statement: m.statement ?? null,
    uri: m.uri,
    chainId: m.chainId,
    nonce: m.nonce,
    issuedAt: m.issuedAt.toISOString(),
    ...(m.expirationTime ? { expirationTime: m.expirationTime.toISOString() } : {}),
    ...(m.notBefore ? { notBefore: m.notBefore.toISOString() } : {}),
    ...(m.resources ? { resources: m.resources } : {}),
  }

  if (origin.startsWith('token:')) {
    warnings.push({
      level: 'warning',
      message: `Sign-In with Ethereum for ${m.domain}, but the request has no web origin to check it against.`,
    })
  } else {
    const o = new URL(origin)
    const [host, port] = splitHostPort(m.domain)
    const originPort = o.port || (o.protocol === 'https:' ? '443' : '80')
    const scheme = m.scheme ?? 'https'
    const loopback = isLoopbackHostname(o.hostname)
    if (host.toLowerCase() !== o.hostname) {
      warnings.push({
        level: dev && loopback ? 'warning' : 'critical',
        message: `Sign-In with Ethereum for "${m.domain}", but the request comes from ${origin}: a page may only ask you to sign in to itself.`,
      })
    } else if (port !== undefined && port !== originPort) {
      warnings.push({
        level: 'warning',
        message: `Sign-In port ${port} differs from the origin's port ${originPort}.`,
      })
    }
    if (`${scheme}:` !== o.protocol) {
      warnings.push({
        // A local dev server (http://localhost) signing in without a scheme only warns.
        level: loopback ? 'warning' : 'critical',
        message: `Sign-In with Ethereum over "${scheme}", but the request comes from ${origin}.`,
      })
    }
  }
  if (m.address.toLowerCase() !== address.toLowerCase()) {
    warnings.push({
      level: 'critical',
      message: `The Sign-In message names the account ${m.address}, not the signing account ${address}.`,
    })
  }
  if (m.chainId !== chainId) {
    warnings.push({
      level: 'warning',
      message: `The Sign-In message is for chain ${m.chainId}; the active chain is ${chainId}.`,
    })
  }
  if (m.expirationTime && m.expirationTime.getTime() <= now) {
    warnings.push({
      level: 'warning',
      message: `The Sign-In message expired at ${m.expirationTime.toISOString()}.`,
    })
  }
  if (m.notBefore && m.notBefore.getTime() > now) {
    warnings.push({
      level: 'warning',
      message: `The Sign-In message is not valid before ${m.notBefore.toISOString()}.`,
    })
  }
  return { details, warnings }
}

function splitHostPort(domain: string): [string, string | undefined] {
  const i = domain.lastIndexOf(':')
  return i === -1 ? [domain, undefined] : [domain.slice(0, i), domain.slice(i + 1)]
}
