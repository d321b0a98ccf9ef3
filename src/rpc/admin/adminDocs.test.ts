import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { createMethodTable } from '../methods/index.js'
import { createAdminMethodTable } from './index.js'

/**
 * docs/protocol.md lists every admin method (and only those); the admin table and the page table
 * share no method: what the admin socket offers is never reachable from a page, and the reverse.
 */
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
const admin = createAdminMethodTable({ status: () => ({}), stop: () => {}, connectionsFor: () => 0 })

function documented(): string[] {
  const start = doc.indexOf('\n### Admin methods\n')
  expect(start, 'docs/protocol.md has no "### Admin methods" section').toBeGreaterThan(-1)
  const end = doc.indexOf('\n## ', start + 1)
  return [...doc.slice(start, end).matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!)
}

describe('admin methods', () => {
  test('every admin method is documented, and every documented one exists', () => {
    expect(documented().sort()).toEqual([...admin.keys()].sort())
  })

  test('the admin table and the page table share nothing', () => {
    const page = createMethodTable()
    for (const name of admin.keys()) expect(page.has(name), name).toBe(false)
    expect([...admin.keys()].every((n) => n.startsWith('walletd_'))).toBe(true)
  })

  test('no admin method needs an account permission or an approval', () => {
    for (const m of admin.values()) {
      expect(m.permission).toBe('none')
      expect(m.approval).toBeUndefined()
    }
  })
})
