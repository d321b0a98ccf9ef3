import { checkedSign } from './checkedSign.js'

/**
 * The source of a signing worker (run with `eval: true`, so no file has to sit beside the bundle,
 * the compiled output or the TypeScript sources). It loads the engine from `workerData.module`,
 * receives the keys once (a transferred buffer: no copy stays behind in the message), then answers
 * `{ id, slot, hash }` with `{ id, signature }` — `checkedSign`'s output, so every signature is
 * checked in the worker before it is posted — or `{ id, error }`. `close` zeroes the keys and ends
 * the worker. The checking code is `checkedSign` itself (its source text), not a second copy.
 */
export function workerScript(): string {
  return `'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const checkedSign = (${checkedSign.toString()})
const secp = require(workerData.module)
let keys = null
let publicKeys = null
parentPort.on('message', (message) => {
  if (message.type === 'keys') {
    keys = message.keys
    publicKeys = message.publicKeys
    parentPort.postMessage({ type: 'ready' })
    return
  }
  if (message.type === 'close') {
    if (keys) keys.fill(0)
    keys = null
    parentPort.close()
    return
  }
  const { id, slot, hash } = message
  try {
    if (!keys) throw new Error('no keys')
    const signature = checkedSign(
      secp,
      keys.subarray(slot * 32, slot * 32 + 32),
      publicKeys.subarray(slot * 65, slot * 65 + 65),
      hash,
    )
    parentPort.postMessage({ id, signature })
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) })
  }
})
`
}
