import { createHash, createHmac, createPublicKey, randomBytes, verify } from 'node:crypto'
import WebSocket from 'ws'

/** The transcript as the provider builds it (src/provider/handshake.ts), for tests in Node. */
export function transcriptOf(c: {
  clientNonce: string
  serverNonce: string
  origin: string
  host: string
  port: number
}) {
  return ['walletd-hello-v1', c.clientNonce, c.serverNonce, c.origin, c.host, String(c.port)].join('\n')
}

/** The proof a token holder sends: HMAC-SHA256 keyed by SHA-256(token) over the relabelled transcript. */
export function proofOf(token: string, transcript: string) {
  const key = createHash('sha256').update(token, 'utf8').digest()
  return createHmac('sha256', key).update(`walletd-auth-v1\n${transcript}`, 'utf8').digest('base64url')
}

/** Verifies a hello signature with a raw P-256 public key (base64url), as the provider does. */
export function verifyHello(publicKey: string, transcript: string, signature: string) {
  const raw = Buffer.from(publicKey, 'base64url')
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  })
  return verify(
    'sha256',
    Buffer.from(transcript),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  )
}

export type HandshakeSocket = {
  socket: WebSocket
  clientNonce: string
  hello: { serverNonce: string; signature: string; alg: string; protocol: string }
  /** Every message after the hello. */
  messages: unknown[]
  next(): Promise<any>
  closed: Promise<{ code: number; reason: string }>
}

/** Opens a handshake socket (no token: a client nonce in the subprotocol; origin "" sends none) and waits for the hello. */
export function openHandshake(
  url: string,
  origin: string,
  clientNonce = randomBytes(32).toString('base64url'),
) {
  return new Promise<HandshakeSocket>((resolve, reject) => {
    const headers: Record<string, string> = origin ? { origin } : {}
    const socket = new WebSocket(url, ['walletd.v1', `walletd.nonce.${clientNonce}`], { headers })
    const messages: unknown[] = []
    const waiters: Array<(m: unknown) => void> = []
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      socket.once('close', (code, reason) => r({ code, reason: String(reason) })),
    )
    let hello: HandshakeSocket['hello'] | undefined
    socket.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
    )
    socket.on('error', () => {})
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { method?: string; params?: unknown[] }
      if (!hello) {
        if (msg.method !== 'walletd_hello') return reject(new Error(`first message: ${String(data)}`))
        hello = msg.params![0] as HandshakeSocket['hello']
        resolve({
          socket,
          clientNonce,
          hello,
          messages,
          closed,
          next: () =>
            new Promise((r) => {
              const m = messages.shift()
              if (m !== undefined) r(m)
              else waiters.push(r)
            }),
        })
        return
      }
      const waiter = waiters.shift()
      if (waiter) waiter(msg)
      else messages.push(msg)
    })
  })
}
