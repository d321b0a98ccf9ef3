import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { PolicyInvalidError, PolicyUnattestedError, UsageError } from '../../errors/startup.js'
import { devPolicy } from './devPolicy.js'
import { attestPolicy, loadAttestedPolicy, readPolicyFile, resolvePolicy } from './loadPolicy.js'

const A = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'walletd-policy-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex')

function write(name: string, content: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

function thrown(
  fn: () => unknown,
): Error & { code?: string; shortMessage?: string; metaMessages?: string[] } {
  try {
    fn()
  } catch (e) {
    return e as Error
  }
  throw new Error('did not throw')
}

const rule = { name: 'ci', action: 'approve', chainIds: [31337] }

describe('readPolicyFile', () => {
  test('a valid file: the parsed policy, the sha256 of the exact bytes, the file', () => {
    const text = `${JSON.stringify({ version: 1, rules: [{ ...rule, accounts: [A.toLowerCase()] }] })}\n  `
    const file = write('p.json', text)
    const loaded = readPolicyFile(file)
    expect(loaded.file).toBe(file)
    expect(loaded.hash).toBe(sha256(text))
    expect(loaded.policy.rules[0]).toMatchObject({ name: 'ci', accounts: [A] })
    // Utf-8 text (a description in another script) reads as such.
    const utf8 = write('u.json', { version: 1, description: 'Ünïcødé ✓', rules: [rule] })
    expect(readPolicyFile(utf8).policy.description).toBe('Ünïcødé ✓')
  })

  test('a missing file, a directory, or not JSON: WALLETD_ERR_POLICY_INVALID naming the file', () => {
    const missing = join(dir, 'missing.json')
    const e1 = thrown(() => readPolicyFile(missing))
    expect(e1).toBeInstanceOf(PolicyInvalidError)
    expect(e1.shortMessage).toBe(`Cannot read the policy file ${missing}: ENOENT.`)
    mkdirSync(join(dir, 'd'))
    expect(thrown(() => readPolicyFile(join(dir, 'd'))).shortMessage).toBe(
      `Cannot read the policy file ${join(dir, 'd')}: EISDIR.`,
    )
    const bad = write('bad.json', '{ "version": 1, ')
    const e2 = thrown(() => readPolicyFile(bad))
    expect(e2).toBeInstanceOf(PolicyInvalidError)
    expect(e2.shortMessage).toBe(`The policy file ${bad} is not valid JSON.`)
  })

  test('schema errors name the rule by index and name, and the key', () => {
    const file = write('p.json', {
      version: 1,
      rules: [rule, { ...rule, name: 'second', chainIds: [] }, { name: 7, action: 'approve', chainIds: [1] }],
    })
    const e = thrown(() => readPolicyFile(file))
    expect(e).toBeInstanceOf(PolicyInvalidError)
    expect(e.code).toBe('WALLETD_ERR_POLICY_INVALID')
    expect(e.shortMessage).toBe(`The policy file ${file} is invalid.`)
    expect(e.metaMessages).toEqual([
      expect.stringMatching(/^rules\[1\] \("second"\)\.chainIds: ./),
      expect.stringMatching(/^rules\[2\]\.name: ./),
    ])
    // A problem with a whole rule (no key below it), the top level, and a key outside the rules.
    const whole = thrown(() => readPolicyFile(write('w.json', { version: 1, rules: [rule, 'x'] })))
    expect(whole.metaMessages).toEqual([expect.stringMatching(/^rules\[1\]: ./)])
    const top = thrown(() => readPolicyFile(write('t.json', [])))
    expect(top.metaMessages).toEqual([expect.stringMatching(/^\(top level\): ./)])
    const key = thrown(() => readPolicyFile(write('k.json', { version: 2, rules: [rule] })))
    expect(key.metaMessages).toEqual([expect.stringMatching(/^version: ./)])
    const rules = thrown(() => readPolicyFile(write('r.json', { version: 1, rules: [] })))
    expect(rules.metaMessages).toEqual([expect.stringMatching(/^rules: ./)])
    // Keys deeper down are joined with dots; a rule that is null has no name to show.
    const deep = thrown(() =>
      readPolicyFile(
        write('n.json', {
          version: 1,
          rateLimit: { burst: 'x', perSecond: 1 },
          rules: [{ ...rule, spend: { maxWei: '1', periodSeconds: 0 } }, null],
        }),
      ),
    )
    expect(deep.metaMessages).toEqual([
      expect.stringMatching(/^rateLimit\.burst: ./),
      expect.stringMatching(/^rules\[0\] \("ci"\)\.spend\.periodSeconds: ./),
      expect.stringMatching(/^rules\[1\]: ./),
    ])
    // At most ten problems are listed.
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `r${i}`, action: 'maybe', chainIds: [1] }))
    expect(
      thrown(() => readPolicyFile(write('m.json', { version: 1, rules: many }))).metaMessages,
    ).toHaveLength(10)
  })
})

describe('attest, then load', () => {
  test('only the exact attested content loads; a changed file is refused until attested again', () => {
    const file = write('p.json', { version: 1, rules: [rule] })
    const store = join(dir, 'state', 'attested.json')
    const e = thrown(() => loadAttestedPolicy(file, store))
    expect(e).toBeInstanceOf(PolicyUnattestedError)
    const hash = readPolicyFile(file).hash
    expect(e.shortMessage).toBe(
      `The policy file ${file} is not attested (sha256 ${hash}): it is new or was changed since it was attested. Review it, then run: walletd policy attest ${file}`,
    )

    const attested = attestPolicy(file, store, () => Date.UTC(2026, 11, 3, 10, 0, 0))
    expect(attested).toEqual(readPolicyFile(file))
    expect(JSON.parse(readFileSync(store, 'utf8'))).toEqual({
      version: 1,
      attested: [{ sha256: hash, file, at: '2026-12-03T10:00:00.000Z' }],
    })
    expect(readFileSync(store, 'utf8')).toBe(
      `${JSON.stringify({ version: 1, attested: [{ sha256: hash, file, at: '2026-12-03T10:00:00.000Z' }] }, null, 2)}\n`,
    )
    expect(loadAttestedPolicy(file, store)).toEqual(attested)

    // Attesting the same content again records nothing new.
    attestPolicy(file, store, () => Date.UTC(2027, 0, 1))
    expect(JSON.parse(readFileSync(store, 'utf8')).attested).toHaveLength(1)

    write('p.json', { version: 1, rules: [{ ...rule, chainIds: [1, 31337] }] })
    expect(thrown(() => loadAttestedPolicy(file, store))).toBeInstanceOf(PolicyUnattestedError)
    attestPolicy(file, store, () => 0)
    expect(loadAttestedPolicy(file, store).policy.rules[0]?.chainIds).toEqual([1, 31337])
    expect(JSON.parse(readFileSync(store, 'utf8')).attested.map((a: { at: string }) => a.at)).toEqual([
      '2026-12-03T10:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ])
  })

  test('an invalid policy is never attested', () => {
    const file = write('p.json', { version: 1, rules: [] })
    const store = join(dir, 'attested.json')
    expect(thrown(() => attestPolicy(file, store))).toBeInstanceOf(PolicyInvalidError)
    expect(() => readFileSync(store)).toThrow()
  })

  test('an unreadable or foreign attestation store counts as empty (nothing is attested)', () => {
    const file = write('p.json', { version: 1, rules: [rule] })
    const hash = readPolicyFile(file).hash
    const entry = { sha256: hash, file, at: 'x' }
    for (const content of [
      'not json',
      'null',
      JSON.stringify({ version: 2, attested: [entry] }),
      JSON.stringify({ version: 1, attested: { 0: entry } }),
    ]) {
      const store = write('store.json', content)
      expect(thrown(() => loadAttestedPolicy(file, store))).toBeInstanceOf(PolicyUnattestedError)
      attestPolicy(file, store, () => 0)
      expect(JSON.parse(readFileSync(store, 'utf8'))).toEqual({
        version: 1,
        attested: [{ sha256: hash, file, at: '1970-01-01T00:00:00.000Z' }],
      })
    }
    // Another file's attestation does not count.
    const store = write('store.json', JSON.stringify({ version: 1, attested: [{ ...entry, sha256: 'ab' }] }))
    expect(thrown(() => loadAttestedPolicy(file, store))).toBeInstanceOf(PolicyUnattestedError)
    expect(
      loadAttestedPolicy(file, write('ok.json', JSON.stringify({ version: 1, attested: [entry] }))),
    ).toEqual(readPolicyFile(file))
  })
})

describe('resolvePolicy (start --policy)', () => {
  test('dev: the built-in policy, only with --dev', () => {
    const opts = { devAccounts: [A] as const, attestations: join(dir, 'a.json') }
    expect(resolvePolicy('dev', { ...opts, dev: true })).toEqual({
      policy: devPolicy([A]),
      hash: 'builtin:dev',
      file: 'dev',
    })
    const e = thrown(() => resolvePolicy('dev', { ...opts, dev: false }))
    expect(e).toBeInstanceOf(UsageError)
    expect(e.shortMessage).toBe(
      '--policy dev is the built-in dev policy (chain 31337, Anvil dev accounts) and needs --dev; pass a policy file otherwise.',
    )
  })

  test('a file must be attested, with or without --dev', () => {
    const file = write('p.json', { version: 1, rules: [rule] })
    const attestations = join(dir, 'a.json')
    for (const dev of [true, false])
      expect(thrown(() => resolvePolicy(file, { dev, devAccounts: [A], attestations }))).toBeInstanceOf(
        PolicyUnattestedError,
      )
    attestPolicy(file, attestations)
    expect(resolvePolicy(file, { dev: true, devAccounts: [A], attestations })).toEqual(readPolicyFile(file))
  })
})
