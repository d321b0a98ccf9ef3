import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../test/helpers/fakeClock.js'
import { createLogSink } from '../../test/helpers/logSink.js'
import { createMetrics } from '../metrics.js'
import { createFrameworkErrorHandler, createHttpErrorHandler } from './createHttpErrorHandler.js'

/** A reply that records what the handler sets. */
function fakeReply() {
  let finish: (() => void) | undefined
  let destroyed = 0
  const r = {
    status: 0,
    headers: {} as Record<string, string>,
    body: undefined as unknown,
    code(n: number) {
      r.status = n
      return r
    },
    header(k: string, v: string) {
      r.headers[k] = v
      return r
    },
    send(b: unknown) {
      r.body = b
      return r
    },
    raw: {
      socket: {
        destroySoon: () => {
          destroyed++
        },
      },
      once: (event: string, fn: () => void) => {
        if (event === 'finish') finish = fn
      },
    },
    finish: () => finish?.(),
    get destroyed() {
      return destroyed
    },
  }
  return r
}

const err = (o: Record<string, unknown>) =>
  Object.assign(new Error(String(o.message ?? 'x')), o) as unknown as FastifyError
const req = (headers: Record<string, string> = {}) => ({ raw: { headers } }) as unknown as FastifyRequest

describe('createHttpErrorHandler', () => {
  const setup = () => {
    const clock = fakeClock(1_000)
    const sink = createLogSink('debug')
    const handle = createHttpErrorHandler({ log: sink.logger, now: clock.now, quietMs: 1_000 })
    const run = (e: FastifyError) => {
      const reply = fakeReply()
      handle(e, req(), reply as unknown as FastifyReply)
      return reply
    }
    const lines = () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    return { clock, run, lines }
  }

  it('a 4xx keeps its status and message, logs nothing', () => {
    const t = setup()
    for (const status of [400, 404, 499]) {
      const reply = t.run(err({ statusCode: status, message: `m${status}` }))
      expect(reply.status).toBe(status)
      expect(reply.body).toEqual({ error: `m${status}` })
      expect(reply.headers).toEqual({ 'cache-control': 'no-store' })
    }
    expect(t.lines()).toEqual([])
  })

  it('anything else is a bare 500 (or its own 5xx), logged once per burst per kind, shortened', () => {
    const t = setup()
    for (const statusCode of [undefined, 399, '500', 503]) {
      const reply = t.run(err({ statusCode, message: 'secret', code: 'E_ONE' }))
      expect(reply.status).toBe(statusCode === 503 ? 503 : 500)
      expect(reply.body).toEqual({ error: 'internal error' })
      expect(reply.headers).toEqual({ 'cache-control': 'no-store' })
    }
    const errors = t.lines().filter((l) => l.msg === 'http error')
    expect(errors).toEqual([
      expect.objectContaining({
        level: 50,
        err: expect.objectContaining({ kind: 'E_ONE', message: 'secret' }),
        count: 1,
      }),
    ])
    expect(t.lines().filter((l) => l.msg === 'http error (stack)')).toEqual([
      expect.objectContaining({
        level: 20,
        err: expect.objectContaining({ message: 'secret', stack: expect.stringContaining('Error: secret') }),
      }),
    ])
    // Another kind is its own burst: named by its code, else its name; both cut short.
    t.run(err({ message: 'y'.repeat(300), code: 'C'.repeat(100) }))
    const named = new TypeError('z')
    t.run(named as FastifyError)
    const later = t.lines().filter((l) => l.msg === 'http error')
    expect(later[1]).toMatchObject({ err: { kind: 'C'.repeat(64), message: 'y'.repeat(200) } })
    expect(later[2]).toMatchObject({ err: { kind: 'TypeError', message: 'z' } })
    // After the quiet interval, the next one is logged with the count since.
    t.clock.advance(1_000)
    t.run(err({ message: 'secret', code: 'E_ONE' }))
    expect(
      t
        .lines()
        .filter((l) => l.msg === 'http error')
        .at(-1),
    ).toMatchObject({
      err: { kind: 'E_ONE' },
      count: 4,
    })
  })

  it('an error without code or name is of kind Error', () => {
    const t = setup()
    t.run({ message: 'bare', name: undefined } as unknown as FastifyError)
    expect(t.lines().find((l) => l.msg === 'http error')).toMatchObject({
      err: { kind: 'Error', message: 'bare' },
    })
  })
})

describe('createFrameworkErrorHandler', () => {
  const setup = () => {
    const clock = fakeClock(1_000)
    const sink = createLogSink('debug')
    const metrics = createMetrics({ defaults: false })
    const handle = createFrameworkErrorHandler({ log: sink.logger, now: clock.now, quietMs: 1_000, metrics })
    const run = (e: FastifyError, headers: Record<string, string> = {}) => {
      const reply = fakeReply()
      handle(e, req(headers), reply as unknown as FastifyReply)
      return reply
    }
    const lines = () => sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const badTargets = async () =>
      (await metrics.connectionsTotal.get()).values.find((v) => v.labels.outcome === 'bad_target')?.value
    return { run, lines, badTargets }
  }

  it('answers 400 and closes, counts each refusal, logs once per burst by its code', async () => {
    const t = setup()
    for (let i = 0; i < 3; i++) {
      const reply = t.run(err({ code: 'FST_ERR_BAD_URL', message: "'/%zz' is not a valid url component" }))
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: 'bad request target' })
      expect(reply.headers).toEqual({ 'cache-control': 'no-store', connection: 'close' })
      reply.finish()
      // Not an upgrade: the socket is left to the connection: close.
      expect(reply.destroyed).toBe(0)
    }
    expect(await t.badTargets()).toBe(3)
    expect(t.lines()).toEqual([
      expect.objectContaining({
        level: 40,
        reason: 'FST_ERR_BAD_URL',
        refusals: 1,
        msg: 'refused a malformed request target',
      }),
    ])
    expect(JSON.stringify(t.lines())).not.toContain('%zz')
    t.run(err({ code: undefined }))
    expect(t.lines().at(-1)).toMatchObject({ reason: 'framework' })
  })

  it('an upgrade’s socket is destroyed once the answer is sent', () => {
    const t = setup()
    const reply = t.run(err({ code: 'FST_ERR_BAD_URL' }), { upgrade: 'websocket' })
    expect(reply.destroyed).toBe(0)
    reply.finish()
    expect(reply.destroyed).toBe(1)
  })
})
