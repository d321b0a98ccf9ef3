import { request } from 'node:http'
import type { EventSourceLike } from 'walletd/provider'

/**
 * A minimal EventSource for Node (which has none), sending the headers a browser would (Origin):
 * `data:` events to onmessage, onerror when the stream fails or ends. No automatic reconnect.
 */
export function nodeEventSource(
  url: string,
  headers: Record<string, string> = {},
): EventSourceLike & { status: Promise<number> } {
  let readyState = 0
  let resolveStatus: (s: number) => void = () => {}
  const status = new Promise<number>((r) => {
    resolveStatus = r
  })
  const source: EventSourceLike & { status: Promise<number> } = {
    get readyState() {
      return readyState
    },
    status,
    onmessage: null,
    onerror: null,
    close() {
      readyState = 2
      req.destroy()
    },
  }
  const fail = () => {
    if (readyState === 2) return
    readyState = 2
    source.onerror?.({})
  }
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    resolveStatus(res.statusCode ?? 0)
    if (res.statusCode !== 200) return fail()
    readyState = 1
    let buffer = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const lines = block.split('\n')
        const type =
          lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message'
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n')
        if (type === 'message' && data && readyState === 1) source.onmessage?.({ data })
        end = buffer.indexOf('\n\n')
      }
    })
    res.on('end', fail)
    res.on('error', fail)
  })
  req.on('error', fail)
  req.end()
  return source
}
