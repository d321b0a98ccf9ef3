import WebSocket from 'ws'
import { UpstreamUnavailableError } from '../errors/startup.js'
import { redactUrl, scrubUserinfo } from './redactUrl.js'

/** The most of a probe's answer that is read (an eth_chainId answer is well under 100 bytes). */
const MAX_ANSWER_BYTES = 64 * 1024

/**
 * Asks a node for its chain id once (ws or http), within `timeoutMs`. Redirects are not followed
 * and at most 64 KiB of the answer is read (the URL may come from a web page: wallet_addEthereumChain).
 * undici is loaded for http only.
 */
export async function probeChainId(url: string, timeoutMs = 5000): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })
  let text: string
  try {
    if (url.startsWith('ws')) {
      text = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(url, {
          handshakeTimeout: timeoutMs,
          maxPayload: MAX_ANSWER_BYTES,
          followRedirects: false,
          perMessageDeflate: false,
        })
        const timer = setTimeout(() => {
          ws.terminate()
          reject(new Error('timed out'))
        }, timeoutMs)
        ws.once('open', () => ws.send(body))
        ws.once('message', (data) => {
          clearTimeout(timer)
          ws.close()
          resolve(String(data))
        })
        ws.once('error', (err) => {
          clearTimeout(timer)
          reject(err)
        })
      })
    } else {
      const { request } = await import('../util/undici.js')
      const res = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length
        if (size > MAX_ANSWER_BYTES) {
          res.body.destroy()
          throw new Error('the answer is too large')
        }
        chunks.push(chunk as Buffer)
      }
      text = Buffer.concat(chunks).toString('utf8')
    }
    const parsed = JSON.parse(text) as { result?: unknown }
    if (typeof parsed.result !== 'string') throw new Error('no chain id in the answer')
    const id = Number.parseInt(parsed.result, 16)
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`bad chain id ${parsed.result}`)
    return id
  } catch (err) {
    throw new UpstreamUnavailableError(
      `The upstream ${redactUrl(url)} did not answer eth_chainId: ${scrubUserinfo((err as Error).message)}`,
      { cause: err },
    )
  }
}
