// A minimal JSON-RPC client over HTTP POST with keep-alive (an undici Pool), for the bench.
import { Pool } from 'undici'

/**
 * `{ call(method, params), close() }` against `url` (POST, JSON); `call` resolves with the whole
 * response ({ result } or { error }) and rejects only on a transport error or a non-200 status.
 * @param {string} url
 * @param {{ headers?: Record<string, string>, connections?: number }} [options]
 */
export function connectHttpRpc(url, { headers = {}, connections = 64 } = {}) {
  const u = new URL(url)
  const pool = new Pool(u.origin, { connections, pipelining: 1 })
  const path = u.pathname + u.search
  const allHeaders = { 'content-type': 'application/json', ...headers }
  let nextId = 1
  return {
    async call(method, params = []) {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: allHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`)
      return JSON.parse(text)
    },
    close: () => pool.close(),
  }
}
