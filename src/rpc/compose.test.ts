import { pino } from 'pino'
import { expect, test } from 'vitest'
import { compose } from './compose.js'
import type { MethodDefinition, ResolvedContext, Step, StepPlan } from './types.js'

const methodA = { method: 'a' } as MethodDefinition
const methodB = { method: 'b' } as MethodDefinition

const ctx = (method = methodA) =>
  ({
    request: { jsonrpc: '2.0', id: 1, method: method.method },
    conn: {},
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    method,
  }) as unknown as ResolvedContext

const step = (name: string, plan: StepPlan | null | ((m: MethodDefinition) => StepPlan | null)): Step => ({
  name,
  plan: typeof plan === 'function' ? plan : () => plan,
})

test('runs checks and wrappers in order and returns the first end', async () => {
  const order: string[] = []
  const run = compose([
    step('a', { check: () => void order.push('a') }),
    step('b', {
      around: async (_c, next) => {
        order.push('b:before')
        const r = await next()
        order.push('b:after')
        return r
      },
    }),
    step('c', { check: () => void order.push('c') }),
    step('d', {
      end: async () => {
        order.push('d')
        return 42
      },
    }),
    step('e', {
      end: async () => {
        order.push('never')
        return 0
      },
    }),
  ])
  expect(await run(ctx())).toBe(42)
  expect(order).toEqual(['a', 'b:before', 'c', 'd', 'b:after'])
})

test('each method runs only the steps whose plan is not null for it, planned once', async () => {
  const order: string[] = []
  let planned = 0
  const run = compose([
    step('only-b', (m) => {
      planned++
      return m === methodB ? { check: () => void order.push('only-b') } : null
    }),
    step('end', { end: async () => order.push('end') }),
  ])
  await run(ctx(methodA))
  await run(ctx(methodA))
  await run(ctx(methodB))
  expect(order).toEqual(['end', 'end', 'only-b', 'end'])
  expect(planned).toBe(2)
})

test('a refusing check stops the request before later steps', async () => {
  const order: string[] = []
  const run = compose([
    step('refuse', {
      check: () => {
        throw new Error('refused')
      },
    }),
    step('end', { end: async () => order.push('end') }),
  ])
  await expect(run(ctx())).rejects.toThrow('refused')
  expect(order).toEqual([])
})

test('falling off the end is an internal error, not a silent success', async () => {
  const run = compose([step('a', { check: () => {} }), step('b', { around: (_c, next) => next() })])
  await expect(run(ctx())).rejects.toMatchObject({ code: -32603 })
})

test('calling next twice is refused', async () => {
  const run = compose([
    step('twice', {
      around: async (_c, next) => {
        await next()
        return next()
      },
    }),
    step('end', { end: async () => 1 }),
  ])
  await expect(run(ctx())).rejects.toMatchObject({ code: -32603 })
})

test('a synchronous throw anywhere becomes a rejection', async () => {
  const boom = () => {
    throw new Error('boom')
  }
  await expect(compose([step('a', { end: boom as never })])(ctx())).rejects.toThrow('boom')
  await expect(
    compose([step('a', { around: (_c, next) => next() }), step('b', { check: boom })])(ctx()),
  ).rejects.toThrow('boom')
  await expect(compose([step('a', boom as never)])(ctx())).rejects.toThrow('boom')
})
