import { describe, expect, test } from 'vitest'
import { MAX_RENDERED_CHARS, renderApprovalRequest } from './renderApprovalRequest.js'
import type { ApprovalRequest } from './types.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' as const
const B = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const

const base: ApprovalRequest = {
  id: 'req-1',
  origin: 'https://app.example',
  method: 'personal_sign',
  kind: 'message',
  chainId: 31337,
  summary: 'Sign a message',
  details: {},
  facts: { kind: 'message', chainId: 31337, account: A, bytes: '0x', text: '', siwe: null },
  warnings: [],
  answer: 'yes',
  createdAt: 0,
  expiresAt: 120_000,
}

const render = (over: Partial<ApprovalRequest>, now = 0, waiting = 0) => {
  const r = renderApprovalRequest({ ...base, ...over }, { now, waiting, instruction: 'Type yes.' })
  if (!r.ok) throw new Error('not rendered')
  return r.text
}

describe('renderApprovalRequest', () => {
  test('the whole prompt: header, fields padded to one column, details, id and expiry, instruction', () => {
    expect(render({ details: { account: A, amount: 12n, ok: true, none: null, skipped: undefined } })).toBe(
      [
        '',
        `━━ walletd: approval request ${'━'.repeat(44)}`,
        '  origin    https://app.example',
        '  method    personal_sign',
        '  chain     31337',
        '  summary   Sign a message',
        `  account   ${A}`,
        '  amount    12',
        '  ok        true',
        '  none      null',
        '  request   req-1, expires in 120 s (1970-01-01T00:02:00.000Z)',
        '  Type yes.',
        '',
      ].join('\n'),
    )
  })

  test('nested details: objects and arrays indented below their key, arrays with their length', () => {
    const text = render({
      details: { call: { to: B, args: ['a', 2n] }, 'a very long key': 'v', empty: '' },
    })
    expect(text).toContain(
      [
        '  call',
        `    to: ${B}`,
        '    args (2 items)',
        '      [0]: a',
        '      [1]: 2',
        '  a very long key v',
        '  empty     ""',
        '  request',
      ].join('\n'),
    )
  })

  test('a multi-line text: every line behind a gutter, escaped, none at column 0', () => {
    const text = render({ details: { message: 'line 1\n\x1b[2Kwalletd: approved\nline 3' } })
    expect(text).toContain(
      ['  message', '    │ line 1', '    │ \\x1b[2Kwalletd: approved', '    │ line 3', ''].join('\n'),
    )
    // A nested one too, one level deeper.
    expect(render({ details: { msg: { text: 'a\nb' } } })).toContain(
      ['  msg', '    text', '      │ a', '      │ b', ''].join('\n'),
    )
  })

  test('values nested deeper than 16 levels are not shown', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 17; i++) deep = { k: deep }
    const text = render({ details: { deep } })
    expect(text).toContain(`${'  '.repeat(18)}k: (nested too deeply to show)`)
    expect(text).not.toContain('bottom')
    let fits: unknown = 'bottom'
    for (let i = 0; i < 16; i++) fits = { k: fits }
    expect(render({ details: { fits } })).toContain(`${'  '.repeat(17)}k: bottom`)
  })

  test('connect: the accounts numbered, defaults marked with *', () => {
    const text = render({ choices: { accounts: [A, B], defaults: [B] } })
    expect(text).toContain(
      ['  accounts  choose one or more (* = default)', `     1  ${A}`, `     2* ${B}`, '  request'].join(
        '\n',
      ),
    )
  })

  test('warnings by level, escaped; the queue when others wait; the expiry counts down and stops at 0', () => {
    const text = render(
      {
        warnings: [
          { level: 'critical', message: 'drains\x1b[1A' },
          { level: 'warning', message: 'new recipient' },
        ],
      },
      30_400,
      2,
    )
    expect(text).toContain(
      [
        '  CRITICAL  drains\\x1b[1A',
        '  WARNING   new recipient',
        '  request   req-1, expires in 90 s (1970-01-01T00:02:00.000Z)',
        '  queue     2 more waiting',
        '  Type yes.',
      ].join('\n'),
    )
    expect(render({}, 29_500)).toContain('expires in 91 s')
    expect(render({}, 200_000)).toContain('expires in 0 s')
    expect(render({}, 0, 1)).toContain('  queue     1 more waiting\n')
    expect(render({}, 0, 0)).not.toContain('queue')
  })

  test('hostile origin, method, summary and keys are escaped', () => {
    const text = render({
      origin: 'https://evil.example\rwalletd',
      method: 'm\x1b',
      summary: 's\u202e',
      details: { 'k\n': 'v' },
    })
    expect(text).toContain('  origin    https://evil.example\\rwalletd\n')
    expect(text).toContain('  method    m\\x1b\n')
    expect(text).toContain('  summary   s\\u202e\n')
    expect(text).toContain('  k\\n       v\n')
  })

  test('a prompt longer than the limit is refused, not cut; one at the limit is shown', () => {
    const pad = render({ details: { x: '' } }).length - 2 // '""' is replaced by the filler
    const at = renderApprovalRequest(
      { ...base, details: { x: 'a'.repeat(MAX_RENDERED_CHARS - pad) } },
      { now: 0, waiting: 0, instruction: 'Type yes.' },
    )
    expect(at.ok).toBe(true)
    expect(at.ok && at.text.length).toBe(MAX_RENDERED_CHARS)
    expect(
      renderApprovalRequest(
        { ...base, details: { x: 'a'.repeat(MAX_RENDERED_CHARS - pad + 1) } },
        { now: 0, waiting: 0, instruction: 'Type yes.' },
      ),
    ).toEqual({ ok: false, reason: 'too-large' })
  })
})
