import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { sweepStaleTemps } from './sweepStaleTemps.js'
import { writeFileAtomic } from './writeFileAtomic.js'

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('sweepStaleTemps: removes only the temp files of writers that no longer run', () => {
  test('dead writers’ temps go; a live writer’s temp, state files and look-alikes stay', () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-sweep-'))
    writeFileAtomic(join(dir, 'sessions.json'), '{}')
    const files = [
      '.sessions.json.111.0123456789ab.tmp', // dead writer
      '.tokens.json.222.ba9876543210.tmp', // live writer
      '.tokens.json.0123456789ab.tmp', // no pid: not ours
      'notes.tmp',
      '.x.333.0123456789AB.tmp', // not hex lower-case: not ours
    ]
    for (const f of files) writeFileSync(join(dir, f), 'partial')
    mkdirSync(join(dir, '.keystore.444.0123456789ab.tmp')) // a directory: never removed
    const removed = sweepStaleTemps(dir, (pid) => pid === 222)
    expect(removed).toEqual(['.sessions.json.111.0123456789ab.tmp'])
    expect(readdirSync(dir).sort()).toEqual(
      [
        '.keystore.444.0123456789ab.tmp',
        '.tokens.json.222.ba9876543210.tmp',
        '.tokens.json.0123456789ab.tmp',
        '.x.333.0123456789AB.tmp',
        'notes.tmp',
        'sessions.json',
      ].sort(),
    )
  })

  test('a temp named after this process is kept; a missing directory sweeps nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'walletd-sweep-'))
    writeFileSync(join(dir, `.a.json.${process.pid}.0123456789ab.tmp`), 'in progress')
    expect(sweepStaleTemps(dir)).toEqual([])
    expect(sweepStaleTemps(join(dir, 'missing'))).toEqual([])
  })
})
