import { describe, expect, test } from 'vitest'
import { createMacosBackend } from './createMacosBackend.js'
import { NotificationUnavailableError } from './types.js'

type Call = { file: string; args: string[]; options: { signal: AbortSignal; timeout: number } }

/** A fake osascript: records each run and answers with `answer` (stdout) or an error. */
function fakeOsascript(answer: string | Error) {
  const calls: Call[] = []
  const backend = createMacosBackend({
    execFile: (file, args, options, cb) => {
      calls.push({ file, args: [...args], options })
      if (answer instanceof Error) cb(answer, '')
      else cb(null, answer)
    },
  })
  return { backend, calls }
}

const dialog = {
  summary: 'walletd: Sign a message',
  body: 'origin https://a.example',
  actions: [
    { key: 'approve' as const, label: 'Sign' },
    { key: 'reject' as const, label: 'Reject' },
  ],
  timeoutMs: 59_999,
}
const note = { ...dialog, actions: [{ key: 'reject' as const, label: 'Reject' }], body: 'x'.repeat(1500) }
const signal = () => new AbortController().signal

async function unavailable(p: Promise<unknown>): Promise<string> {
  const err = await p.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(NotificationUnavailableError)
  return (err as Error).message
}

describe('the macOS backend (osascript; run here with a fake)', () => {
  test('a dialog: the approve label is a button; seconds rounded down, at least 1; a little longer to run', async () => {
    const { backend, calls } = fakeOsascript('Sign\n')
    expect(backend.name).toBe('macos')
    const s = signal()
    expect(await backend.show(dialog, s)).toBe('approve')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.file).toBe('/usr/bin/osascript')
    expect(calls[0]!.args[0]).toBe('-e')
    expect(calls[0]!.args[1]).toMatch(/^on run argv\n {2}set answer to display dialog/)
    expect(calls[0]!.args.slice(2)).toEqual([dialog.summary, dialog.body, 'Sign', '59'])
    expect(calls[0]!.options).toEqual({ signal: s, timeout: 64_999 })
    const short = fakeOsascript('Sign')
    await short.backend.show({ ...dialog, timeoutMs: 400 }, signal())
    expect(short.calls[0]!.args[5]).toBe('1')
  })

  test('the answers: the approve button, Reject, giving up; Cancel (-128) rejects', async () => {
    expect(await fakeOsascript('Reject').backend.show(dialog, signal())).toBe('reject')
    expect(await fakeOsascript('gave-up').backend.show(dialog, signal())).toBeNull()
    expect(
      await fakeOsascript(new Error('execution error: User canceled. (-128)')).backend.show(dialog, signal()),
    ).toBe('reject')
  })

  test('osascript failing: unavailable, unless the request was withdrawn meanwhile', async () => {
    expect(await unavailable(fakeOsascript(new Error('ENOENT')).backend.show(dialog, signal()))).toBe(
      'osascript failed: ENOENT',
    )
    const ac = new AbortController()
    ac.abort()
    expect(await fakeOsascript(new Error('aborted')).backend.show(dialog, ac.signal)).toBeNull()
    expect(await fakeOsascript(new Error('aborted')).backend.show(note, ac.signal)).toBeNull()
    expect(await unavailable(fakeOsascript(new Error('no GUI')).backend.show(note, signal()))).toBe(
      'osascript failed: no GUI',
    )
  })

  test('without an approve action: a notification (the body cut to 1000 characters) that decides nothing', async () => {
    const { backend, calls } = fakeOsascript('Reject')
    const s = signal()
    expect(await backend.show(note, s)).toBeNull()
    expect(calls[0]!.args[1]).toMatch(/^on run argv\n {2}display notification/)
    expect(calls[0]!.args.slice(2)).toEqual([note.summary, 'x'.repeat(1000)])
    expect(calls[0]!.options).toEqual({ signal: s, timeout: 10_000 })
    expect(() => backend.close()).not.toThrow()
  })
})
