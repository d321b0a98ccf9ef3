import { pino } from 'pino'
import { expect, test } from 'vitest'
import { compose } from './compose.js'
import type { ResolvedContext } from './types.js'

const ctx = () =>
  ({
    request: { jsonrpc: '2.0', id: 1, method: 'x' },
    conn: {},
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
  }) as unknown as ResolvedContext

test('runs steps in order and returns the first result', async () => {
  const order: string[] = []
  const run = compose([
    async (_c, next) => {
      order.push('a')
      return next()
    },
    async () => {
      order.push('b')
      return 42
    },
    async () => {
      order.push('never')
      return 0
    },
  ])
  expect(await run(ctx())).toBe(42)
  expect(order).toEqual(['a', 'b'])
})

test('falling off the end is an internal error, not a silent success', async () => {
  const run = compose([async (_c, next) => next()])
  await expect(run(ctx())).rejects.toMatchObject({ code: -32603 })
})

test('calling next twice is refused', async () => {
  const run = compose([
    async (_c, next) => {
      await next()
      return next()
    },
    async () => 1,
  ])
  await expect(run(ctx())).rejects.toMatchObject({ code: -32603 })
})

test('a synchronous throw becomes a rejection', async () => {
  const run = compose([
    (() => {
      throw new Error('boom')
    }) as never,
  ])
  await expect(run(ctx())).rejects.toThrow('boom')
})
