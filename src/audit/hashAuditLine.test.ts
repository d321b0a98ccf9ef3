import { describe, expect, test } from 'vitest'
import type { JsonSafe } from '../util/toJsonSafe.js'
import { canonicalJson } from './canonicalJson.js'
import { chainAuditLine, hashAuditLine } from './hashAuditLine.js'

const PREV = 'ab'.repeat(32)

/** Bodies whose keys fall before, after and around `hash` in sort order, with values of every kind. */
const bodies: { [k: string]: JsonSafe }[] = [
  {},
  { a: 1 },
  { zeta: 'z' },
  { hash_: 'renamed', hasi: 1, has: 2, hashh: 3, H: 4, Hash: 5, 'h\u00e4sh': 6 },
  {
    seq: 7,
    time: '2026-12-03T00:00:00.000Z',
    prev: PREV,
    type: 'signature',
    signature: `0x${'cd'.repeat(65)}`,
  },
  {
    type: 'approval',
    facts: { value: '1000000000000000000', to: null, nested: [1, [2, { b: true, a: false }], 'x'] },
    warnings: [],
    text: 'a\u202eb\u001bc\u2028d \ud83d\ude00 \ud800',
    '\u202ekey': 'bidi key',
    '': 'empty key',
  },
]

describe('chainAuditLine: the line and hash that verify recomputes', () => {
  test.each(bodies.map((b, i) => [i, b] as const))('body %i', (_i, body) => {
    const { hash, line } = chainAuditLine(PREV, body)
    expect(hash).toBe(hashAuditLine(PREV, body))
    expect(line).toBe(canonicalJson({ ...body, hash }))
    expect(JSON.parse(line)).toEqual({ ...body, hash })
  })
})
