import { describe, expect, it } from 'vitest'
import { createLogSink } from '../../test/helpers/logSink.js'
import { createSigningHarness } from '../../test/helpers/signingFakes.js'
import { createMessageHandler } from './createMessageHandler.js'
import type { Services } from './services.js'
import type { Connection } from './types.js'

const REQUEST = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_chainId' })

/** A connection whose logger is made on first use (as over HTTP), counting how often it is asked for. */
function lazyConnection(log: Services['log']) {
  const asked = { count: 0 }
  const conn: Connection = {
    id: 'c1',
    transport: 'http',
    origin: 'https://app.example',
    tokenName: null,
    get log() {
      asked.count++
      return log
    },
    notify: undefined,
    onClose: () => {},
    closed: false,
    inFlight: 1,
  }
  return { conn, asked }
}

describe('createMessageHandler: the connection logger is asked for only to log', () => {
  it('an answered request below debug level never asks for it (no child logger per HTTP POST)', async () => {
    const sink = createLogSink('info')
    const services = { ...createSigningHarness().services, log: sink.logger } as Services
    const handler = createMessageHandler(services, async () => '0x7a69')
    const { conn, asked } = lazyConnection(sink.logger)
    expect(JSON.parse((await handler.handleText(REQUEST, conn, new AbortController().signal))!)).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: '0x7a69',
    })
    expect(asked.count).toBe(0)
  })

  it('at debug level the request line goes through it; an unexpected failure is logged through it', async () => {
    const sink = createLogSink('debug')
    const services = { ...createSigningHarness().services, log: sink.logger } as Services
    const ok = createMessageHandler(services, async () => '0x7a69')
    const { conn, asked } = lazyConnection(sink.logger)
    await ok.handleText(REQUEST, conn, new AbortController().signal)
    expect(asked.count).toBeGreaterThan(0)
    expect(sink.text()).toContain('request ok')
    const failing = createMessageHandler({ ...services, log: createLogSink('info').logger }, async () => {
      throw new Error('boom')
    })
    const quiet = createLogSink('info')
    const second = lazyConnection(quiet.logger)
    const answer = JSON.parse((await failing.handleText(REQUEST, second.conn, new AbortController().signal))!)
    expect(answer.error.code).toBe(-32603)
    expect(second.asked.count).toBe(1)
    expect(quiet.text()).toContain('request failed')
  })
})
