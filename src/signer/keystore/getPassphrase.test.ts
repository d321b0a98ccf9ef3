import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { KeystoreError } from '../../errors/startup.js'
import { fixedPassphrase, getPassphrase } from './getPassphrase.js'
import { readPasswordFile } from './readPasswordFile.js'
import { toPassphraseBytes } from './toPassphraseBytes.js'

const dir = mkdtempSync(join(tmpdir(), 'walletd-pass-'))
let n = 0
function file(content: string | Buffer, mode = 0o600): string {
  const path = join(dir, `pw-${n++}`)
  writeFileSync(path, content, { mode })
  chmodSync(path, mode)
  return path
}
const text = (b: Buffer) => b.toString('utf8')

describe('readPasswordFile', () => {
  test('the first line, without LF or CRLF; the whole file when it has no line end', () => {
    expect(text(readPasswordFile(file('one two\nthree\n')))).toBe('one two')
    expect(text(readPasswordFile(file('crlf pass\r\nnext')))).toBe('crlf pass')
    expect(text(readPasswordFile(file('no newline')))).toBe('no newline')
    expect(text(readPasswordFile(file('x')))).toBe('x')
    // A lone CR inside the line is kept; only the one before LF is a line end.
    expect(text(readPasswordFile(file('a\rb\n')))).toBe('a\rb')
    expect(text(readPasswordFile(file(' spaced \n')))).toBe(' spaced ')
  })

  test('an empty first line is refused (keys 7), naming the file', () => {
    for (const content of ['', '\n', '\r\n', '\nsecond line']) {
      const path = file(content)
      const err = (() => {
        try {
          readPasswordFile(path)
        } catch (e) {
          return e as InstanceType<typeof KeystoreError>
        }
      })()
      expect(err, JSON.stringify(content)).toBeInstanceOf(KeystoreError)
      expect(err?.shortMessage).toBe(`The password file ${path} is empty`)
    }
  })

  test('a missing file is a KeystoreError with the errno code', () => {
    const path = join(dir, 'absent')
    expect(() => readPasswordFile(path)).toThrow(`Cannot read the password file ${path}: ENOENT`)
  })

  test('warns about a group- or world-readable file, not about a 0600 one', () => {
    const warnings: string[] = []
    const open = file('pw\n', 0o644)
    expect(text(readPasswordFile(open, (m) => warnings.push(m)))).toBe('pw')
    expect(warnings).toEqual([
      `password file ${open} is readable by other users; consider chmod 600 '${open}'`,
    ])
    readPasswordFile(file('pw\n', 0o640), (m) => warnings.push(m))
    expect(warnings).toHaveLength(2)
    readPasswordFile(file('pw\n', 0o604), (m) => warnings.push(m))
    expect(warnings).toHaveLength(3)
    readPasswordFile(file('pw\n', 0o600), (m) => warnings.push(m))
    readPasswordFile(file('pw\n', 0o400), (m) => warnings.push(m))
    expect(warnings).toHaveLength(3)
    // Without a warn callback the file is still read.
    expect(text(readPasswordFile(open))).toBe('pw')
  })
})

describe('fixedPassphrase', () => {
  test('the password file first, then WALLETD_PASSWORD_FILE, then WALLETD_PASSWORD; else null', () => {
    const a = file('from a\n')
    const b = file('from b\n')
    const both = fixedPassphrase({
      passwordFile: a,
      env: { WALLETD_PASSWORD_FILE: b, WALLETD_PASSWORD: 'env' },
    })
    expect(both && { pass: text(both.passphrase), source: both.source }).toEqual({
      pass: 'from a',
      source: 'password file',
    })
    const fromEnvFile = fixedPassphrase({ env: { WALLETD_PASSWORD_FILE: b, WALLETD_PASSWORD: 'env' } })
    expect(fromEnvFile && text(fromEnvFile.passphrase)).toBe('from b')
    expect(fromEnvFile?.source).toBe('password file')
    const fromEnv = fixedPassphrase({ env: { WALLETD_PASSWORD: 'pässword ✓' } })
    expect(fromEnv && text(fromEnv.passphrase)).toBe('pässword ✓')
    expect(fromEnv?.passphrase.length).toBe(Buffer.byteLength('pässword ✓'))
    expect(fromEnv?.source).toBe('WALLETD_PASSWORD')
    expect(fixedPassphrase({})).toBeNull()
    expect(fixedPassphrase({ env: {} })).toBeNull()
    expect(fixedPassphrase({ env: { WALLETD_PASSWORD: '', WALLETD_PASSWORD_FILE: '' } })).toBeNull()
  })

  test('passes warn to the password file reader', () => {
    const warnings: string[] = []
    fixedPassphrase({ passwordFile: file('pw\n', 0o644) }, (m) => warnings.push(m))
    expect(warnings).toHaveLength(1)
  })
})

describe('getPassphrase', () => {
  const prompting = (...answers: string[]) => {
    const asked: string[] = []
    const given: Buffer[] = []
    return {
      asked,
      given,
      prompt: async (q: string) => {
        asked.push(q)
        const b = Buffer.from(answers.shift() ?? '')
        given.push(b)
        return b
      },
    }
  }

  test('a fixed passphrase is used without asking', async () => {
    const p = prompting('typed')
    expect(text(await getPassphrase({ env: { WALLETD_PASSWORD: 'env' }, prompt: p.prompt }, 'Q? '))).toBe(
      'env',
    )
    expect(p.asked).toEqual([])
  })

  test('no source and no terminal: refused, saying how to give one', async () => {
    await expect(getPassphrase({}, 'Q? ')).rejects.toThrow(
      'No passphrase: pass --password-file FILE or set WALLETD_PASSWORD (stdin is not a terminal, so walletd cannot ask)',
    )
  })

  test('asks once without confirm, twice with it; an empty answer is refused', async () => {
    const once = prompting('abc')
    expect(text(await getPassphrase({ prompt: once.prompt }, 'Passphrase: '))).toBe('abc')
    expect(once.asked).toEqual(['Passphrase: '])

    const twice = prompting('abc', 'abc')
    expect(text(await getPassphrase({ prompt: twice.prompt }, 'New: ', { confirm: true }))).toBe('abc')
    expect(twice.asked).toEqual(['New: ', 'Repeat the passphrase: '])
    // The repeated answer is zeroed; the returned one is not.
    expect(twice.given[1]?.every((b) => b === 0)).toBe(true)

    const empty = prompting('', 'x')
    await expect(getPassphrase({ prompt: empty.prompt }, 'Q: ', { confirm: true })).rejects.toThrow(
      'Empty passphrase refused',
    )
    expect(empty.asked).toHaveLength(1)
  })

  test('two different answers are refused and both are zeroed', async () => {
    const p = prompting('abc', 'abd')
    const err = await getPassphrase({ prompt: p.prompt }, 'New: ', { confirm: true }).catch((e) => e)
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.shortMessage).toBe('The passphrases do not match')
    for (const b of p.given) expect(b.every((x) => x === 0)).toBe(true)
  })
})

describe('toPassphraseBytes', () => {
  test('UTF-8 of a string, unnormalised; a copy of bytes', () => {
    // "é" precomposed and decomposed stay different (no NFKD, as geth and foundry).
    expect(toPassphraseBytes('\u00e9').toString('hex')).toBe('c3a9')
    expect(toPassphraseBytes('e\u0301').toString('hex')).toBe('65cc81')
    expect(toPassphraseBytes('').length).toBe(0)
    const input = Uint8Array.from([1, 2, 3])
    const out = toPassphraseBytes(input)
    expect([...out]).toEqual([1, 2, 3])
    input.fill(0)
    expect([...out]).toEqual([1, 2, 3])
  })
})
