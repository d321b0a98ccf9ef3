import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { InternalError, RpcError, rpcErrorClasses, UserRejectedRequestError } from './rpc.js'
import { startupErrorClasses } from './startup.js'
import { toJsonRpcError } from './toJsonRpcError.js'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')

test('every RPC error code is documented', () => {
  for (const cls of rpcErrorClasses) expect(doc, cls.name).toContain(`\`${cls.code}\``)
})

test('every WALLETD_ERR_* code is documented, and every documented one exists', () => {
  const codes = startupErrorClasses.map((c) => c.code)
  for (const code of codes) expect(doc).toContain(`\`${code}\``)
  const documented = [...doc.matchAll(/`(WALLETD_ERR_[A-Z_]+)`/g)].map((m) => m[1])
  for (const code of documented) expect(codes).toContain(code)
})

test('each class carries its own code', () => {
  const codes = rpcErrorClasses.map((c) => c.code)
  expect(new Set(codes).size).toBe(codes.length)
  for (const cls of rpcErrorClasses) expect(new cls().code).toBe(cls.code)
})

test('the serializer sends code, message and data only — never stack, cause or details', () => {
  const err = new UserRejectedRequestError({
    data: { reason: 'timeout' },
    cause: new Error('secret cause'),
    details: 'secret details',
  })
  const wire = toJsonRpcError(err)
  expect(wire).toEqual({ code: 4001, message: 'User rejected the request.', data: { reason: 'timeout' } })
  expect(JSON.stringify(wire)).not.toMatch(/secret|stack/)
})

test('anything that is not an RpcError becomes a bare internal error', () => {
  expect(toJsonRpcError(new Error('private key 0xabc'))).toEqual({
    code: InternalError.code,
    message: 'Internal error.',
  })
  expect(toJsonRpcError('x')).toEqual({ code: -32603, message: 'Internal error.' })
  expect(new RpcError(7, 'custom') instanceof Error).toBe(true)
})
