import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { describe, expect, test } from 'vitest'
import { RpcError } from '../../errors/rpc.js'
import { createMethodResolver } from '../middleware/resolveMethod.js'
import type { Connection, MethodDefinition, RequestContext } from '../types.js'
import { createMethodTable } from './index.js'
import { FORWARDED_METHODS } from './passthrough.js'

/**
 * docs/protocol.md lists every method of the table with its permission, cost class and approval
 * policy, and the methods walletd refuses with their codes. Fails when the doc and the code differ.
 */

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
const table = createMethodTable()

function section(title: string): string {
  const start = doc.indexOf(`\n### ${title}\n`)
  if (start === -1) throw new Error(`docs/protocol.md has no "### ${title}" section`)
  const end = doc.indexOf('\n##', start + 1)
  return doc.slice(start, end === -1 ? undefined : end)
}

/** Table rows whose first cell is a backticked name, as cells. */
function rows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const m = /^\| `([^`]+)` \|/.exec(line)
    if (!m) continue
    if (out.has(m[1]!)) throw new Error(`docs/protocol.md lists ${m[1]} twice`)
    out.set(
      m[1]!,
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
  }
  return out
}

const methodSections = [
  'Wallet methods (answered by walletd)',
  'Signing methods',
  'Subscriptions and filters',
  'Forwarded methods',
]
const documented = new Map<string, string[]>()
for (const title of methodSections) {
  for (const [name, cells] of rows(section(title))) {
    if (documented.has(name)) throw new Error(`docs/protocol.md lists ${name} twice`)
    documented.set(name, cells)
  }
}

/** `never`, the approval kind (`connect`, `message`, `typedData`, `transaction`, `chain`, `asset`), or `<kind>, conditional`. */
const approvalCell = (m: MethodDefinition) =>
  !m.approval ? 'never' : m.approval.when ? `${m.approval.kind}, conditional` : m.approval.kind

describe('docs/protocol.md: the method table', () => {
  test('the table is not empty (a sanity check)', () => {
    expect(table.size).toBeGreaterThan(50)
    expect(documented.size).toBeGreaterThan(50)
  })

  test.each([...table.values()].map((m) => [m.method, m] as const))(
    '%s is documented with its permission, cost class and approval policy',
    (name, m) => {
      const cells = documented.get(name)
      expect(cells, `no row "| \`${name}\` |" in a method section of docs/protocol.md`).toBeDefined()
      expect(cells).toHaveLength(5)
      expect(cells![1]).toBe(m.permission)
      expect(cells![2]).toBe(m.cost)
      expect(cells![3]!.split(':')[0]).toBe(approvalCell(m))
      expect(cells![4]!.length).toBeGreaterThan(5)
    },
  )

  test('every documented method is in the table', () => {
    expect([...documented.keys()].filter((name) => !table.has(name))).toEqual([])
  })

  test('the forwarded section is exactly the forwarded allowlist', () => {
    expect([...rows(section('Forwarded methods')).keys()].sort()).toEqual([...FORWARDED_METHODS].sort())
  })
})

describe('docs/protocol.md: refused methods', () => {
  const refused = rows(section('Refused methods'))
  const resolve = createMethodResolver(table)
  const log = pino({ level: 'silent' })
  const codeFor = async (method: string): Promise<number | 'resolved'> => {
    const ctx: RequestContext = {
      request: { jsonrpc: '2.0', id: 1, method },
      conn: { id: 'c', origin: 'https://app.example', log } as unknown as Connection,
      log,
      signal: new AbortController().signal,
      session: undefined as never,
    }
    try {
      resolve(ctx)
      return 'resolved'
    } catch (err) {
      if (err instanceof RpcError) return err.code
      throw err
    }
  }

  test('the list is not empty (a sanity check)', () => {
    expect(refused.size).toBeGreaterThan(15)
  })

  test.each([...refused.entries()])('%s gets the documented code', async (name, cells) => {
    const method = name.endsWith('*') ? `${name.slice(0, -1)}somethingNew` : name
    expect(table.has(method)).toBe(false)
    expect(await codeFor(method)).toBe(Number(cells[1]))
  })

  test('methods outside the table and the refused list get 4200', async () => {
    for (const method of ['wallet_scanQRCode', 'eth_someFutureMethod', '__proto__', 'constructor']) {
      expect(await codeFor(method)).toBe(4200)
    }
    expect(doc).toContain('is **4200**')
  })

  test('the table methods inside refused namespaces still resolve', async () => {
    for (const method of [
      'personal_sign',
      'personal_ecRecover',
      'eth_signTypedData_v3',
      'eth_signTypedData_v4',
    ]) {
      expect(await codeFor(method)).toBe('resolved')
    }
  })
})
