import { inject } from 'vitest'

/** Calls the node directly over HTTP (the shared test Anvil by default) — never through walletd. */
export async function anvilRpc(
  method: string,
  params: unknown[] = [],
  url = inject('anvilHttpUrl'),
): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: unknown; error?: unknown }
  if (body.error) throw new Error(JSON.stringify(body.error))
  return body.result
}

/** Polls the node for a transaction receipt. */
export async function waitForReceipt(hash: string, url = inject('anvilHttpUrl')): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const r = await anvilRpc('eth_getTransactionReceipt', [hash], url)
    if (r) return r
    await new Promise((res) => setTimeout(res, 25))
  }
  throw new Error(`no receipt for ${hash}`)
}
